package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.config.Repository;
import dev.pitr.postgres.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Capture with its spool on a 40 MiB tmpfs that other files fill up: pg_receivewal fails at a segment that no longer
 * fits, capture says so in its log, and {@code pitr status} says so with the WAL the slot holds on the primary. Once
 * space returns capture resumes where it stopped. Every segment reaches the archive, and a restore has every marker row.
 */
class SpoolFullIT {

    private static final long MIB = 1024 * 1024;

    static ArchiveFixture fx;
    static Path spool;

    @BeforeAll
    static void setUp() throws Exception {
        fx = new ArchiveFixture("spoolfull");
        spool = Files.createDirectories(fx.base.resolve("spool"));
        Processes.Result r =
                Processes.run(List.of("mount", "-t", "tmpfs", "-o", "size=40m,mode=0700", "tmpfs", spool.toString()));
        assertTrue(r.ok(), "mounting a tmpfs spool needs root: " + r.output());
        Files.writeString(fx.configFile, "status:\n  slot_retained_warning_mb: 16\n", StandardOpenOption.APPEND);
    }

    @AfterAll
    static void tearDown() throws Exception {
        fx.stopCapture();
        Processes.run(List.of("umount", "-l", spool.toString()));
        fx.close();
    }

    @Test
    void aFullSpoolStopsReceivingLoudlyAndLosesNothing() throws Exception {
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 20, "before");
        fx.switchAndAwaitArchived();
        fx.ok("snapshot", "create");

        // other files take all but 6 MiB while the receiver runs: the next segment does not fit, and once the finished
        // one is shipped, the rest of the short segment and the one after still do not
        Path ballast = spool.resolve("ballast");
        ArchiveFixture.fill(ballast, free() - 6 * MIB);
        int marker = 20;
        for (int i = 0; i < 4; i++) {
            ArchiveFixture.insertMarkers(fx.primary, marker + 1, marker + 10, "full-" + i);
            marker += 10;
            fx.primary.execute("INSERT INTO marker SELECT g, repeat('x', 500) FROM generate_series(" + (marker + 1)
                    + ", " + (marker + 20000) + ") g");
            marker += 20000;
            fx.primary.queryOne("SELECT pg_switch_wal()");
        }
        awaitLog("SPOOL FULL");
        assertTrue(fx.captureLog().contains("No space left on device"), fx.captureLog());
        JsonNode status = new ObjectMapper().readTree(fx.ok("status", "--json").out());
        String warnings = status.get("warnings").toString();
        assertTrue(warnings.contains("SPOOL FULL"), warnings);
        assertTrue(warnings.contains("holds back"), warnings);
        assertFalse(status.get("capture").get("slot_active").asBoolean(), status.toPrettyString());
        // full as status and capture count it: less room than the next segment plus the padding a short .partial
        // still lacks (exactly one segment's worth free is full when pg_receivewal stopped inside a padding)
        assertTrue(
                status.get("capture").get("spool_free_bytes").asLong() < PartialSegments.roomNeeded(spool, 16 * MIB),
                status.toPrettyString());
        assertTrue(status.get("capture").get("slot_retained_bytes").asLong() > 2 * 16 * MIB, status.toPrettyString());
        String human = fx.ok("status").out();
        assertTrue(human.contains("warning: SPOOL FULL"), human);

        // space returns: capture resumes where the slot stopped
        Files.delete(ballast);
        ArchiveFixture.insertMarkers(fx.primary, marker + 1, marker + 10, "after");
        marker += 10;
        fx.switchAndAwaitArchived();
        awaitLog("the spool has room again");
        String after = new ObjectMapper()
                .readTree(fx.ok("status", "--json").out())
                .get("warnings")
                .toString();
        assertFalse(after.contains("SPOOL FULL"), after);
        fx.stopCapture();

        try (Repository repo = fx.repository()) {
            List<SegmentRecord> segs = repo.catalog().allSegments();
            long expect = segs.get(0).name().segno();
            for (SegmentRecord s : segs) {
                assertEquals(expect++, s.name().segno(), "gap or duplicate at " + s.name());
            }
        }
        assertEquals(marker + ":1-" + marker, fx.restoreMarkers("--latest"));
    }

    private static long free() throws IOException {
        return Files.getFileStore(spool).getUsableSpace();
    }

    private static void awaitLog(String line) throws InterruptedException {
        for (int i = 0; i < 600 && !fx.captureLog().contains(line); i++) {
            Thread.sleep(100);
        }
        assertTrue(fx.captureLog().contains(line), "no '" + line + "' in the capture log:\n" + fx.captureLog());
    }
}
