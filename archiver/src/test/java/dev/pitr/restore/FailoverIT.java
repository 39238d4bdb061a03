package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.cli.Cli;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A primary and a hot standby (pg_basebackup -R on its own slot), with capture configured for both. Marker rows go in
 * on timeline 1, the primary stops, the standby is promoted, and more rows go in on timeline 2: capture must follow
 * the new primary, archive 00000002.history and leave no gap at the switch, and every target on either side of it
 * must restore exactly the rows committed at or before it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailoverIT {

    /** The PostgreSQL major version the scenario runs on; the classes beside this one run it on others. */
    int major() {
        return dev.pitr.postgres.PostgresServers.defaultMajor();
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    ArchiveFixture fx;
    LocalCluster standby;
    long xidOfRow70;
    Instant afterB;
    String lsnAfterC;
    Instant afterE;

    @BeforeAll
    void archiveAcrossAFailover() throws Exception {
        fx = new ArchiveFixture(
                "failover-pg" + major(), ArchiveFixture.Backend.LOCAL, ArchiveFixture.Encryption.NONE, major());
        assertEquals(major(), Integer.parseInt(fx.primary.queryOne("SHOW server_version_num")) / 10000);
        fx.primary.execute("ALTER SYSTEM SET autovacuum = off");
        fx.primary.queryOne("SELECT pg_reload_conf()");
        int standbyPort = LocalCluster.freePort();
        standby = LocalCluster.standbyOf(fx.tools, fx.primary, fx.base.resolve("standby"), standbyPort, "standby_slot")
                .start();
        Files.writeString(
                fx.configFile, "standby:\n  host: 127.0.0.1\n  port: " + standbyPort + "\n", StandardOpenOption.APPEND);
        Path standbyLog = fx.base.resolve("standby/server.log");
        fx.await(
                "the standby to stream",
                () -> "streaming".equals(standby.queryOne("SELECT status FROM pg_stat_wal_receiver"))
                        || standbyLogSays(standbyLog));
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 20, "a");
        fx.ok("snapshot", "create", "--label", "on-timeline-1");
        ArchiveFixture.insertMarkers(fx.primary, 21, 40, "b");
        fx.primary.queryOne("SELECT pg_create_restore_point('tl1-point')");
        Thread.sleep(300);
        afterB = Instant.now();
        Thread.sleep(300);
        ArchiveFixture.insertMarkers(fx.primary, 41, 60, "c");
        lsnAfterC = fx.primary.queryOne("SELECT pg_current_wal_insert_lsn()");
        ArchiveFixture.insertMarkers(fx.primary, 61, 69, "d");
        xidOfRow70 = Long.parseLong(fx.primary.queryOne(
                "WITH x AS (INSERT INTO marker VALUES (70, 'd') RETURNING 1) SELECT txid_current() FROM x"));
        ArchiveFixture.insertMarkers(fx.primary, 71, 80, "d");
        // capture keeps its slot on the standby too, advanced only as far as it has archived, so the promotion cannot
        // lose what capture has not archived
        Lsn archived = Lsn.parse(fx.primary.queryOne("SELECT pg_switch_wal()"));
        fx.awaitArchived(archived);
        fx.await(
                "capture's slot on the standby to reach " + archived,
                () -> "t"
                        .equals(standby.queryOne("SELECT restart_lsn >= '" + archived
                                + "' FROM pg_replication_slots WHERE slot_name = 'pitr_slot'")));

        fx.primary.stop();
        standby.promote();
        fx.await("the promotion", () -> "f".equals(standby.queryOne("SELECT pg_is_in_recovery()")));
        ArchiveFixture.insertMarkers(standby, 81, 100, "e");
        Thread.sleep(300);
        afterE = Instant.now();
        Thread.sleep(300);
        ArchiveFixture.insertMarkers(standby, 101, 120, "f");
        assertTrue(
                standby.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())").startsWith("00000002"));
        Lsn end = Lsn.parse(standby.queryOne("SELECT pg_switch_wal()"));
        fx.awaitArchived(end, TimelineId.of(2));
    }

    /** False while the standby starts; its log once it says it cannot stream. */
    private static boolean standbyLogSays(Path log) throws java.io.IOException {
        String text = Files.readString(log);
        if (text.contains("FATAL") || text.contains("could not connect")) {
            throw new AssertionError("the standby cannot stream:\n" + text);
        }
        return false;
    }

    @AfterAll
    void tearDown() throws Exception {
        if (standby != null) {
            standby.stop();
        }
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    @Order(1)
    void captureFollowedTheNewPrimaryAndLeftNoGapAtTheSwitch() throws Exception {
        try (Repository repo = fx.repository()) {
            assertTrue(repo.catalog().history(TimelineId.of(2)).isPresent(), "00000002.history is archived");
        }
        JsonNode tls = JSON.readTree(fx.ok("restore-window", "--json").out()).get("timelines");
        JsonNode two = tls.get(tls.size() - 1);
        assertEquals(2, two.get("timeline").asLong(), tls.toString());
        assertEquals(1, two.get("ranges").size(), two.toString());
        assertEquals(0, two.get("gaps").size(), two.toString());
        assertEquals(2, two.get("path").size(), two.toString());
        Cli.Run plan = fx.ok("restore", "--latest", "--dry-run");
        assertTrue(
                plan.out().contains("00000002.history") && plan.out().contains("recovery_target_timeline = '2'"),
                plan.toString());
    }

    @Test
    @Order(2)
    void targetsOnTheOldTimelineBeforeTheSwitch() {
        assertEquals("40:1-40", fx.restoreMarkers("--to", afterB.toString()));
        assertEquals("60:1-60", fx.restoreMarkers("--lsn", lsnAfterC));
        assertEquals("40:1-40", fx.restoreMarkers("--name", "tl1-point"));
        assertEquals("70:1-70", fx.restoreMarkers("--xid", Long.toString(xidOfRow70)));
    }

    @Test
    @Order(3)
    void targetsOnTheNewTimeline() {
        assertEquals("100:1-100", fx.restoreMarkers("--to", afterE.toString()));
        assertEquals("120:1-120", fx.restoreMarkers("--latest"));
    }

    @Test
    @Order(4)
    void aTargetOnATimelineThatBranchedOffBeforeTheSnapshotIsRefused() throws Exception {
        fx.ok("snapshot", "create", "--label", "on-timeline-2");
        JsonNode snaps = JSON.readTree(fx.ok("snapshot", "list", "--json").out());
        JsonNode tl2 = snaps.get(snaps.size() - 1);
        assertEquals(2, tl2.get("timeline").asLong(), snaps.toString());
        Path dir = fx.newTargetDir();
        Cli.Run r = fx.cli(
                "restore",
                "--latest",
                "--timeline",
                "1",
                "--snapshot",
                tl2.get("id").asText(),
                "--target-dir",
                dir.toString());
        assertEquals(18, r.exitCode(), r.toString());
        assertTrue(r.err().contains("not on timeline 1's history"), r.toString());
        assertTrue(!Files.exists(dir));
    }

    @Test
    @Order(5)
    void aRestoreWithAnotherVersionsServerProgramsIsRefusedBeforeAnythingIsFetched() {
        Path wrong = dev.pitr.postgres.PostgresServers.installation(major() == 15 ? 13 : 15);
        Path dir = fx.newTargetDir();
        Cli.Run r = fx.cliWithEnv(
                java.util.Map.of("PITR_POSTGRES_BIN_DIR", wrong.toString()),
                "restore",
                "--latest",
                "--target-dir",
                dir.toString());
        assertEquals(15, r.exitCode(), r.toString());
        assertTrue(r.err().contains("the snapshot is of PostgreSQL " + major() + ", but"), r.toString());
        assertTrue(r.err().contains("postgresql-" + major()), r.toString());
        assertTrue(!Files.exists(dir.resolve("PG_VERSION")), "nothing was fetched");
    }
}
