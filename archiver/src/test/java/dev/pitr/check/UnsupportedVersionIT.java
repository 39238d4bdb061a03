package dev.pitr.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.cli.Cli;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.PostgresServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A real server of a major version pitr does not read (PostgreSQL 12, its server programs from Maven Central):
 * {@code pitr check} refuses it with {@code check-failed} and a hint, and {@code wal push} refuses a segment of its
 * WAL with {@code unsupported-version}; nothing is archived.
 */
class UnsupportedVersionIT {

    @Test
    void aPostgres12ServerIsRefusedByCheckAndItsWalIsNeverArchived() throws Exception {
        Path base = Files.createTempDirectory(Path.of("/tmp"), "pitr-it-pg12-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path bin = PostgresServers.bin(12);
        int port = LocalCluster.freePort();
        LocalCluster pg = LocalCluster.init(new PgTools(bin, "postgres"), base.resolve("data"), port)
                .start();
        try {
            assertTrue(pg.queryOne("SHOW server_version_num").startsWith("12"));
            Path config = base.resolve("pitr.yaml");
            Files.writeString(
                    config,
                    "primary:\n  host: 127.0.0.1\n  port: " + port + "\n  user: postgres\n"
                            + "wal:\n  spool_dir: spool\nstorage:\n  path: repo\n");

            Cli.Run check = Cli.run(Map.of(), "--config", config.toString(), "check", "--fix");
            assertEquals(9, check.exitCode(), check.toString());
            assertTrue(check.out().contains("PostgreSQL 12 is not supported"), check.toString());
            assertTrue(check.out().contains("HINT") || check.err().contains("HINT"), check.toString());

            // a segment of its real WAL, as archive_command would hand it over
            pg.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS i");
            pg.execute("SELECT pg_switch_wal()");
            Path walDir = base.resolve("data/pg_wal");
            Path segment;
            try (Stream<Path> files = Files.list(walDir)) {
                segment = files.filter(f -> f.getFileName().toString().matches("[0-9A-F]{24}"))
                        .sorted()
                        .findFirst()
                        .orElseThrow();
            }
            Path copy = Files.copy(segment, base.resolve(segment.getFileName().toString()));
            Cli.Run push = Cli.run(Map.of(), "--config", config.toString(), "wal", "push", copy.toString());
            assertEquals(21, push.exitCode(), push.toString());
            assertTrue(push.err().contains("pitr does not read"), push.toString());
            Path repo = base.resolve("repo");
            List<Path> stored;
            try (Stream<Path> files = Files.exists(repo) ? Files.walk(repo) : Stream.empty()) {
                stored = files.filter(f -> f.toString().contains("/wal/")).toList();
            }
            assertEquals(List.of(), stored, "nothing of it archived");
        } finally {
            pg.close();
        }
    }

    /**
     * A PostgreSQL 17 server with the machine's 15 client programs configured: check names each program that cannot
     * serve it and what to install and set.
     */
    @Test
    void clientProgramsOlderThanTheServerAreRefusedByCheckWithWhatToSet() throws Exception {
        Path base = Files.createTempDirectory(Path.of("/tmp"), "pitr-it-pg17-old-clients-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = LocalCluster.freePort();
        LocalCluster pg = LocalCluster.init(PostgresServers.tools(17), base.resolve("data"), port)
                .start();
        try {
            Path config = base.resolve("pitr.yaml");
            Files.writeString(
                    config,
                    "primary:\n  host: 127.0.0.1\n  port: " + port + "\n  user: postgres\n"
                            + "postgres:\n  bin_dir: /usr/lib/postgresql/15/bin\n"
                            + "wal:\n  spool_dir: spool\nstorage:\n  path: repo\n");
            Cli.Run check = Cli.run(Map.of(), "--config", config.toString(), "check", "--fix");
            assertEquals(15, check.exitCode(), check.toString());
            for (String program : List.of("pg_receivewal", "pg_basebackup", "pg_verifybackup")) {
                assertTrue(
                        check.out()
                                .contains("/usr/lib/postgresql/15/bin/" + program
                                        + " is version 15, older than the server (17)"),
                        check.toString());
            }
            assertTrue(check.out().contains("postgresql-client-17"), check.toString());
            // the same server with 17's client programs, where bin_dir names them
            Files.writeString(
                    config,
                    Files.readString(config)
                            .replace(
                                    "/usr/lib/postgresql/15/bin",
                                    PostgresServers.installation(17).toString()));
            Cli.Run fine = Cli.run(Map.of(), "--config", config.toString(), "check");
            assertEquals(0, fine.exitCode(), fine.toString());
            assertTrue(fine.out().contains("pg_basebackup          version 17"), fine.toString());
        } finally {
            pg.close();
        }
    }
}
