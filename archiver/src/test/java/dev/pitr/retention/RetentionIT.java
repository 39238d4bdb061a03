package dev.pitr.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.cli.Cli;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.wal.WalFileName;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Retention on a real archive: three snapshots of a primary under marker inserts, a minimum window that starts between
 * the second and the third, no grace period. Retention must expire the first snapshot and the WAL only it needed,
 * remove their objects, and leave the archive restorable to exactly the rows committed at the window's start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetentionIT {

    ArchiveFixture fx;
    String first;
    String second;
    String third;
    Instant afterFirstBatch;
    String config;
    JsonNode report;
    JsonNode again;

    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.LOCAL;
    }

    /**
     * Applies the policy (1 daily, a minimum window reaching back to {@code cut}, no grace) after a dry run, and returns
     * the report's JSON. The window is measured again for the run that records the policy (a dry run records none).
     */
    JsonNode applyRetention(Instant cut) throws Exception {
        config = Files.readString(fx.configFile);
        configureWindow(windowTo(cut));
        Cli.Run dry = fx.ok("retention", "apply", "--dry-run");
        assertTrue(dry.out().contains("dry run: nothing changed"), dry.toString());
        assertTrue(dry.out().contains("expire snapshot " + first), dry.toString());
        configureWindow(windowTo(cut));
        return applyAgain();
    }

    /**
     * Applies retention once more through the command line, with the configuration as the last run left it (the
     * catalog refuses a policy other than the one the first run recorded), and returns the report's JSON.
     */
    JsonNode applyAgain() throws Exception {
        return new ObjectMapper().readTree(fx.ok("retention", "apply", "--json").out());
    }

    private void configureWindow(String minWindow) throws Exception {
        Files.writeString(
                fx.configFile,
                config + "retention:\n  daily: 1\n  weekly: 0\n" + "  monthly: 0\n  min_window: " + minWindow
                        + "\n  grace: 0s\n");
    }

    @BeforeAll
    void archiveThreeSnapshotsAndApplyRetention() throws Exception {
        fx = new ArchiveFixture("retention", backend());
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        first = fx.ok("snapshot", "create").out().trim();
        ArchiveFixture.insertMarkers(fx.primary, 1, 10, "a");
        fx.switchAndAwaitArchived();
        afterFirstBatch = Instant.now();
        Thread.sleep(1100);
        second = fx.ok("snapshot", "create").out().trim();
        ArchiveFixture.insertMarkers(fx.primary, 11, 20, "b");
        fx.switchAndAwaitArchived();
        // the window's start falls in this pause. A window is measured in whole seconds back from when it is
        // configured, so a run's window starts later than the cut by up to a second and by the time the run takes to
        // read the clock; the second run's, by the first run's time as well: the slack after the cut covers those.
        Thread.sleep(4000);
        Instant cut = Instant.now();
        Thread.sleep(8000);
        ArchiveFixture.insertMarkers(fx.primary, 21, 30, "c");
        third = fx.ok("snapshot", "create").out().trim();
        ArchiveFixture.insertMarkers(fx.primary, 31, 40, "d");
        fx.switchAndAwaitArchived();
        fx.stopCapture();
        report = applyRetention(cut);
        // straight after the first, before the tests' restores move the window's start on
        again = applyAgain();
    }

    /** A minimum window, in seconds, that reaches back from now to {@code cut}. */
    static String windowTo(Instant cut) {
        return Duration.between(cut, Instant.now()).toSeconds() + "s";
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void theFirstSnapshotAndTheWalOnlyItNeededAreGone() {
        assertEquals(List.of(first + " expire", second + " keep", third + " keep"), decisions());
        assertTrue(
                report.path("snapshots").get(1).path("reasons").toString().contains("window anchor"),
                report.toString());
        assertTrue(report.path("segments").path("expired").asInt() > 0, report.toString());
        assertEquals(1, report.path("snapshotsRemoved").asInt(), report.toString());
        assertEquals(
                report.path("segments").path("expired").asInt(),
                report.path("segmentsRemoved").asInt());
        try (Repository repo = fx.repository()) {
            assertTrue(repo.catalog().snapshot(new SnapshotId(first)).isEmpty(), "the expired snapshot is forgotten");
            SnapshotRecord kept =
                    repo.catalog().snapshot(new SnapshotId(second)).orElseThrow();
            assertEquals(List.of(), repo.storage().list("snapshots/" + first + "/"));
            assertTrue(repo.storage().stat(kept.storageKey()).isPresent());
            String expiredFirst = report.path("segments").path("firstExpired").asText();
            assertTrue(repo.catalog().segment(WalFileName.of(expiredFirst)).isEmpty());
            assertTrue(repo.storage().list("wal/").stream().noneMatch(k -> k.contains(expiredFirst)), expiredFirst);
        }
    }

    @Test
    void theWindowStartIsRestorableToExactlyItsRows() {
        assertEquals(
                "20:1-20", fx.restoreMarkers("--to", report.path("windowStart").asText()));
    }

    @Test
    void latestStillReplaysEverything() {
        assertEquals("40:1-40", fx.restoreMarkers("--latest"));
    }

    @Test
    void aTimeOnlyTheExpiredSnapshotCouldReachIsOutsideTheWindow() {
        Cli.Run r = fx.cli(
                "restore",
                "--to",
                afterFirstBatch.toString(),
                "--target-dir",
                fx.newTargetDir().toString(),
                "--dry-run");
        assertEquals(ErrorCode.TARGET_OUTSIDE_WINDOW.exitCode(), r.exitCode(), r.toString());
    }

    @Test
    void aSecondRunFindsNothingMoreToDo() {
        assertEquals(0, again.path("segments").path("expired").asInt(), again.toString());
        assertFalse(again.path("snapshots").toString().contains("\"expire\""), again.toString());
    }

    private List<String> decisions() {
        return java.util.stream.StreamSupport.stream(report.path("snapshots").spliterator(), false)
                .map(s -> s.path("id").asText() + " " + s.path("action").asText())
                .toList();
    }
}
