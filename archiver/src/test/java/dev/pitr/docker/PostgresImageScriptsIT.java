package dev.pitr.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PostgresServers;
import dev.pitr.postgres.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The scripts of the images run outside a container against a local primary, the way the images run them:
 *
 * <ul>
 *   <li>the primary's init scripts, with the primary's {@code pg_hba.conf} reduced to the superuser's own lines: the
 *       replication role they create, with a password (scram) and no superuser, is enough for {@code pitr check
 *       --fix}, capture, a snapshot and status, and may make restore points and switch WAL; the cluster identifier
 *       file holds the primary's system identifier;
 *   <li>the standby's entrypoint clones the primary on the slot the init script made, as the replication role, and
 *       comes up as a hot standby that receives what the primary writes. In the image it drops to the postgres user
 *       with gosu and hands over to the image's entrypoint; here {@code gosu} is runuser and the image's entrypoint
 *       runs the server as postgres, which is what that entrypoint does with a data directory already in place;
 *   <li>the restore container's entrypoint restores the archive to the latest point.
 * </ul>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresImageScriptsIT {

    static final String PASSWORD = "replication-secret";
    static final Path POSTGRES = ComposeTopologyTest.DOCKER.resolve("postgres");

    ArchiveFixture fx;
    Process standby;
    Path standbyData;

    @BeforeAll
    void setUp() {
        fx = new ArchiveFixture(
                "image-scripts",
                ArchiveFixture.Backend.LOCAL,
                ArchiveFixture.Encryption.NONE,
                // the image is PG_MAJOR's: its scripts run that version's own client programs, which here are 15's
                PostgresServers.PACKAGED);
    }

    @AfterAll
    void tearDown() throws Exception {
        if (standby != null) {
            Processes.run(fx.tools.asPostgres("pg_ctl", "-D", standbyData.toString(), "-m", "immediate", "-w", "stop"));
            standby.waitFor(30, TimeUnit.SECONDS);
        }
        if (fx != null) {
            fx.close();
        }
    }

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PATH", "/usr/lib/postgresql/15/bin:" + env.get("PATH"));
        env.put("POSTGRES_USER", "postgres");
        env.put("PGHOST", "127.0.0.1");
        env.put("PGPORT", Integer.toString(fx.primary.port()));
        env.put("PITR_REPLICATION_USER", "replicator");
        env.put("PITR_REPLICATION_PASSWORD", PASSWORD);
        return env;
    }

    /** Runs one statement as the replication role, with its password, and returns what it printed. */
    private String asReplicator(String sql) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PGPASSWORD", PASSWORD);
        Processes.Result r = Processes.run(
                List.of(
                        "/usr/lib/postgresql/15/bin/psql",
                        "-XAtq",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        Integer.toString(fx.primary.port()),
                        "-U",
                        "replicator",
                        "-d",
                        "postgres",
                        "-c",
                        sql),
                env);
        assertEquals(0, r.exitCode(), sql + ":\n" + r.output());
        return r.output().strip();
    }

    @Test
    @Order(1)
    void theInitScriptsGiveTheReplicationRoleEnoughForPitrWithoutSuperuser() throws Exception {
        Path data = fx.primary.dataDir();
        Files.writeString(data.resolve("pg_hba.conf"), """
        host all postgres 127.0.0.1/32 trust
        host replication postgres 127.0.0.1/32 trust
        """);
        Path cluster = Files.createDirectories(fx.base.resolve("cluster"));
        Map<String, String> env = env();
        env.put("PGDATA", data.toString());
        env.put("PITR_CLUSTER_DIR", cluster.toString());
        for (String script : List.of("10-replication.sh", "20-cluster-id.sh")) {
            Processes.Result r = Processes.run(
                    List.of("bash", POSTGRES.resolve("initdb/" + script).toString()), env);
            assertEquals(0, r.exitCode(), script + ":\n" + r.output());
        }
        fx.primary.queryOne("SELECT pg_reload_conf()");
        assertEquals(
                fx.primary.queryOne("SELECT system_identifier FROM pg_control_system()"),
                Files.readString(cluster.resolve("system_identifier")).strip());
        assertEquals("f", fx.primary.queryOne("SELECT rolsuper FROM pg_roles WHERE rolname = 'replicator'"));

        Files.writeString(
                fx.configFile,
                Files.readString(fx.configFile)
                        .replace("  user: postgres\n", "  user: replicator\n  password: " + PASSWORD + "\n"));
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 20, "before");
        fx.ok("snapshot", "create");
        ArchiveFixture.insertMarkers(fx.primary, 21, 40, "after");
        // what the role is granted beyond replication: restore points and WAL switches
        asReplicator("SELECT pg_create_restore_point('image-scripts')");
        fx.awaitArchived(dev.pitr.wal.Lsn.parse(asReplicator("SELECT pg_switch_wal()")));
        assertTrue(fx.capture().isAlive(), fx.captureLog());
        assertEquals(
                "replicator", fx.primary.queryOne("SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_replication"));
        assertTrue(fx.ok("status").out().contains("slot"), "status as the replication role");
    }

    @Test
    @Order(2)
    void theStandbyEntrypointClonesThePrimaryOnItsSlotAndStreams() throws Exception {
        Path shims = Files.createDirectories(fx.base.resolve("shims"));
        Files.writeString(
                shims.resolve("gosu"), "#!/bin/sh\nuser=\"$1\"; shift\nexec runuser -u \"$user\" -- \"$@\"\n");
        Files.writeString(shims.resolve("docker-entrypoint.sh"), "#!/bin/sh\nexec runuser -u postgres -- \"$@\"\n");
        for (String shim : List.of("gosu", "docker-entrypoint.sh")) {
            Files.setPosixFilePermissions(shims.resolve(shim), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        standbyData = fx.base.resolve("standby");
        int port = LocalCluster.freePort();
        ProcessBuilder pb = new ProcessBuilder(
                        "bash",
                        POSTGRES.resolve("standby-entrypoint.sh").toString(),
                        "postgres",
                        "-D",
                        standbyData.toString(),
                        "-c",
                        "port=" + port,
                        "-c",
                        "listen_addresses=127.0.0.1",
                        "-c",
                        "unix_socket_directories=",
                        "-c",
                        "hot_standby=on")
                .redirectErrorStream(true)
                .redirectOutput(fx.base.resolve("standby.log").toFile());
        pb.environment().putAll(env());
        pb.environment().put("PATH", shims + ":" + pb.environment().get("PATH"));
        pb.environment().put("PGDATA", standbyData.toString());
        pb.environment().put("PRIMARY_HOST", "127.0.0.1");
        pb.environment().put("PRIMARY_PORT", Integer.toString(fx.primary.port()));
        standby = pb.start();
        LocalCluster server = LocalCluster.existing(fx.tools, standbyData, port);
        fx.await("the standby to accept connections", () -> {
            assertTrue(standby.isAlive(), Files.readString(fx.base.resolve("standby.log")));
            return Processes.run(List.of(
                            "/usr/lib/postgresql/15/bin/pg_isready",
                            "-q",
                            "-h",
                            "127.0.0.1",
                            "-p",
                            Integer.toString(port)))
                    .ok();
        });
        assertEquals("t", server.queryOne("SELECT pg_is_in_recovery()"));
        assertEquals(
                "t", fx.primary.queryOne("SELECT active FROM pg_replication_slots WHERE slot_name = 'standby_slot'"));
        ArchiveFixture.insertMarkers(fx.primary, 41, 41, "streamed");
        fx.await(
                "row 41 on the standby",
                () -> "1".equals(server.queryOne("SELECT count(*) FROM marker WHERE id = 41")));
    }

    @Test
    @Order(3)
    void theRestoreEntrypointRestoresTheLatestPoint() throws Exception {
        fx.switchAndAwaitArchived();
        fx.stopCapture();
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("PATH", "/usr/lib/postgresql/15/bin:" + env.get("PATH"));
        env.put("PITR", "java -jar " + fx.base.resolve("pitr.jar"));
        env.put("PITR_CONFIG", fx.configFile.toString());
        env.put("PITR_RESTORE_DIR", dir.toString());
        env.put("PITR_RESTORE_PORT", Integer.toString(port));
        env.put("PITR_STACK_OUTPUTS", fx.base.resolve("no-stack-here.env").toString());
        Processes.Result r = Processes.run(
                List.of(
                        "bash",
                        ComposeTopologyTest.DOCKER
                                .resolve("pitr/restore-entrypoint.sh")
                                .toString(),
                        "--latest"),
                env);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals(
                "41:1-41",
                fx.restoredServer(dir, port)
                        .queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker"));
    }
}
