package dev.pitr.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One retention policy for the cluster, whichever runner applies it. */
class ClusterRetentionTest {

    @TempDir
    Path dir;

    static final RetentionPolicy MINE =
            new RetentionPolicy(3, 2, 1, Duration.ofHours(36), Duration.ofDays(2), ZoneId.of("Europe/Berlin"));

    @Test
    void encodesEveryFieldAndReadsItBack() {
        assertEquals(MINE, RetentionPolicy.decode(MINE.encode(), "test"));
        assertEquals(RetentionPolicy.DEFAULT, RetentionPolicy.decode(RetentionPolicy.DEFAULT.encode(), "test"));
    }

    @Test
    void theFirstRunnerWithAPolicyRecordsItAndEveryOtherAppliesItOrIsRefused() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            assertEquals(
                    Optional.empty(),
                    ClusterRetention.resolveOrWait(c, Optional.empty(), "the function", true),
                    "the function without a policy waits for one");
            assertEquals(RetentionPolicy.DEFAULT, ClusterRetention.resolve(c, Optional.empty(), "host a", false));
            assertEquals(MINE, ClusterRetention.resolve(c, Optional.of(MINE), "host a", false));
            assertEquals(Optional.empty(), ClusterRetention.recorded(c), "dry runs record nothing");

            assertEquals(MINE, ClusterRetention.resolve(c, Optional.of(MINE), "host a"));
            assertEquals(Optional.of(MINE), ClusterRetention.recorded(c));
            assertEquals(MINE, ClusterRetention.resolve(c, Optional.empty(), "the function"), "adopted");
            assertEquals(MINE, ClusterRetention.resolve(c, Optional.of(MINE), "host b"), "agrees");

            PitrException e = assertThrows(
                    PitrException.class,
                    () -> ClusterRetention.resolve(c, Optional.of(RetentionPolicy.DEFAULT), "/etc/pitr/pitr.yaml"));
            assertEquals(ErrorCode.CONFIG_INVALID, e.code());
            assertTrue(e.getMessage().contains("/etc/pitr/pitr.yaml"), e.getMessage());
            assertTrue(e.hint().contains("pitr retention set"), e.hint());
            assertEquals(Optional.of(MINE), ClusterRetention.recorded(c), "a refused runner changes nothing");

            ClusterRetention.set(c, RetentionPolicy.DEFAULT);
            assertEquals(
                    RetentionPolicy.DEFAULT, ClusterRetention.resolve(c, Optional.of(RetentionPolicy.DEFAULT), "b"));
        }
    }

    @Test
    void aHostWithoutAPolicyRecordsTheDefaultsItApplies() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            assertEquals(RetentionPolicy.DEFAULT, ClusterRetention.resolve(c, Optional.empty(), "host a"));
            assertEquals(Optional.of(RetentionPolicy.DEFAULT), ClusterRetention.recorded(c));
            assertEquals(
                    Optional.of(RetentionPolicy.DEFAULT),
                    ClusterRetention.resolveOrWait(c, Optional.empty(), "the function", true));
            assertThrows(PitrException.class, () -> ClusterRetention.resolve(c, Optional.of(MINE), "host b"));
        }
    }

    @Test
    void scheduledRunsOfEitherRunnerClaimTheSameDay() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            Instant runAt0317 = Instant.parse("2026-12-06T03:17:00Z");
            Instant lambdaAt0500 = Instant.parse("2026-12-06T05:00:00Z");
            assertEquals(ClusterRetention.slot(runAt0317), ClusterRetention.slot(lambdaAt0500));
            assertTrue(c.claimRun(ClusterRetention.JOB, ClusterRetention.slot(runAt0317), "host-a/42"));
            assertEquals(false, c.claimRun(ClusterRetention.JOB, ClusterRetention.slot(lambdaAt0500), "function:x"));
            assertTrue(c.claimRun(
                    ClusterRetention.JOB, ClusterRetention.slot(Instant.parse("2026-12-07T05:00:00Z")), "function:x"));
        }
    }
}
