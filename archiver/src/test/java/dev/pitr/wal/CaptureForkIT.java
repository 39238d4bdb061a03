package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A failover to a standby that lagged: capture received two whole segments from the old primary that the standby
 * never got, so the promoted standby's history forks from timeline 1 before where pg_receivewal would resume. Capture
 * must set that dead branch aside (it is archived on timeline 1 all the same) and go on from its slot on the new
 * primary: timeline 2 is archived without a gap, and the latest restore holds the rows of the surviving history only.
 */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
class CaptureForkIT {

    ArchiveFixture fx;
    LocalCluster standby;

    /** The PostgreSQL major version the scenario runs on; {@code CaptureForkOnPostgres13IT} runs it on 13. */
    int major() {
        return dev.pitr.postgres.PostgresServers.defaultMajor();
    }

    @BeforeAll
    void setUp() throws Exception {
        fx = new ArchiveFixture(
                "fork-pg" + major(), ArchiveFixture.Backend.LOCAL, ArchiveFixture.Encryption.NONE, major());
        int port = LocalCluster.freePort();
        standby = LocalCluster.standbyOf(fx.tools, fx.primary, fx.base.resolve("standby"), port, "standby_slot")
                .start();
        Files.writeString(
                fx.configFile, "standby:\n  host: 127.0.0.1\n  port: " + port + "\n", StandardOpenOption.APPEND);
    }

    @AfterAll
    void tearDown() throws Exception {
        if (standby != null) {
            standby.stop();
        }
        fx.close();
    }

    @Test
    void captureGoesOnFromItsSlotWhenTheNewPrimaryForkedBeforeWhatItReceived() throws Exception {
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 20, "a");
        fx.ok("snapshot", "create");
        ArchiveFixture.insertMarkers(fx.primary, 21, 40, "a");
        Lsn archived = Lsn.parse(fx.primary.queryOne("SELECT pg_switch_wal()"));
        fx.awaitArchived(archived);
        fx.await(
                "capture's slot on the standby to reach " + archived,
                () -> "t"
                        .equals(standby.queryOne("SELECT restart_lsn >= '" + archived
                                + "' FROM pg_replication_slots WHERE slot_name = 'pitr_slot'")));

        // the standby stops receiving; capture goes on receiving two more segments and more
        standby.execute("ALTER SYSTEM SET primary_conninfo = ''");
        standby.queryOne("SELECT pg_reload_conf()");
        fx.await(
                "the standby's WAL receiver to stop",
                () -> "0".equals(standby.queryOne("SELECT count(*) FROM pg_stat_wal_receiver")));
        ArchiveFixture.insertMarkers(fx.primary, 41, 60, "lost");
        fx.switchAndAwaitArchived();
        fx.primary.execute("INSERT INTO marker VALUES (61, 'lost')");
        fx.switchAndAwaitArchived();
        fx.primary.execute("INSERT INTO marker VALUES (62, 'lost')");
        Thread.sleep(500);

        Processes.run(
                fx.tools.asPostgres("pg_ctl", "-D", fx.primary.dataDir().toString(), "-m", "immediate", "-w", "stop"));
        standby.promote();
        fx.await("the promotion", () -> "f".equals(standby.queryOne("SELECT pg_is_in_recovery()")));
        ArchiveFixture.insertMarkers(standby, 101, 120, "b");
        Lsn end = Lsn.parse(standby.queryOne("SELECT pg_switch_wal()"));
        fx.awaitArchived(end, TimelineId.of(2));
        fx.stopCapture();

        assertTrue(fx.captureLog().contains("is not in this server's history"), fx.captureLog());
        assertTrue(fx.captureLog().contains("aside in"), fx.captureLog());
        try (var s = Files.list(fx.base.resolve("spool"))) {
            assertTrue(
                    s.anyMatch(p -> p.getFileName().toString().startsWith(".dead-branch-")), "the dead branch is kept");
        }
        assertEquals("60:1-120", fx.restoreMarkers("--latest"));
    }
}
