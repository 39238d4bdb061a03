package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pitr.ArchiveFixture;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.Primary;
import dev.pitr.wal.Lsn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * A primary set up the common way: local connections trusted, TCP only with scram-sha-256. pitr archives with the
 * password; the restore has none, and never needs one: it learns what it needs from the server's log and control file.
 */
class RestoreWithoutLoginIT {

    private static final String PASSWORD = "s3cret pass'word";

    private static void execute(Primary pg, String sql) throws Exception {
        try (Connection c = pg.connect();
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Test
    void aScramOnlyClusterRestoresExactlyWithNoPasswordAndItsPgHbaUnchanged() throws Exception {
        try (ArchiveFixture fx = new ArchiveFixture("scram")) {
            fx.primary.execute("ALTER ROLE postgres PASSWORD '" + PASSWORD.replace("'", "''") + "'");
            Path hba = fx.primary.dataDir().resolve("pg_hba.conf");
            String rules = """
                    local all all trust
                    host all all 127.0.0.1/32 scram-sha-256
                    host replication all 127.0.0.1/32 scram-sha-256
                    """;
            Files.writeString(hba, rules);
            fx.primary.queryOne("SELECT pg_reload_conf()");
            Primary pg = new Primary("127.0.0.1", fx.primary.port(), "postgres", PASSWORD, "postgres");
            // no login without the password from here on
            assertThrows(PitrException.class, () -> fx.primary.queryOne("SELECT 1"));

            String plain = Files.readString(fx.configFile);
            Files.writeString(
                    fx.configFile,
                    plain.replace(
                            "  user: postgres\n",
                            "  user: postgres\n  password: '" + PASSWORD.replace("'", "''") + "'\n"));
            fx.ok("check", "--fix");
            fx.startCapture();
            execute(pg, "CREATE TABLE marker (id int PRIMARY KEY, batch text)");
            for (int i = 1; i <= 20; i++) {
                execute(pg, "INSERT INTO marker VALUES (" + i + ", 'before')");
            }
            fx.ok("snapshot", "create");
            for (int i = 21; i <= 40; i++) {
                execute(pg, "INSERT INTO marker VALUES (" + i + ", 'target')");
            }
            Thread.sleep(300);
            Instant target = Instant.now();
            Thread.sleep(300);
            for (int i = 41; i <= 60; i++) {
                execute(pg, "INSERT INTO marker VALUES (" + i + ", 'late')");
            }
            Lsn end = Lsn.parse(pg.queryOne("SELECT pg_switch_wal()"));
            execute(pg, "INSERT INTO marker VALUES (61, 'nudge')");
            fx.awaitArchived(end);

            // the restore host has no password at all
            Files.writeString(fx.configFile, plain);
            Path dir = fx.newTargetDir();
            int port = LocalCluster.freePort();
            fx.ok("restore", "--to", target.toString(), "--target-dir", dir.toString(), "--port", "" + port);
            Primary restored = new Primary("127.0.0.1", port, "postgres", PASSWORD, "postgres");
            assertEquals(
                    "40:1-40", restored.queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker"));
            assertEquals("f", restored.queryOne("SELECT pg_is_in_recovery()"));
            assertEquals(rules, Files.readString(dir.resolve("pg_hba.conf")));

            // paused at the target, too
            Path paused = fx.newTargetDir();
            int pausedPort = LocalCluster.freePort();
            fx.ok(
                    "restore",
                    "--to",
                    target.toString(),
                    "--action",
                    "pause",
                    "--target-dir",
                    paused.toString(),
                    "--port",
                    "" + pausedPort);
            Primary atTarget = new Primary("127.0.0.1", pausedPort, "postgres", PASSWORD, "postgres");
            assertEquals("t", atTarget.queryOne("SELECT pg_is_in_recovery()"));
            assertEquals("40", atTarget.queryOne("SELECT count(*) FROM marker"));
        }
    }
}
