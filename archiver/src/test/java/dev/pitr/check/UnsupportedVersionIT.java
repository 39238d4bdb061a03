package dev.pitr.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.cli.Cli;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/**
 * A real server of a major version pitr does not read (PostgreSQL 12, its server programs from Maven Central):
 * {@code pitr check} refuses it with {@code check-failed} and a hint, and {@code wal push} refuses a segment of its
 * WAL with {@code unsupported-version}; nothing is archived.
 */
class UnsupportedVersionIT {

    /** The server programs in the jar's .txz, unpacked under {@code into} (readable by the postgres OS user). */
    static Path unpack(Path jar, Path into) throws Exception {
        Path txz = into.resolve("postgres.txz");
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(jar))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().endsWith(".txz")) {
                    try (OutputStream out = Files.newOutputStream(txz)) {
                        zip.transferTo(out);
                    }
                }
            }
        }
        Path dir = Files.createDirectories(into.resolve("pg"));
        Process p = new ProcessBuilder("tar", "xJf", txz.toString(), "-C", dir.toString())
                .redirectErrorStream(true)
                .start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertEquals(0, p.waitFor(), "tar: " + out);
        return dir.resolve("bin");
    }

    static Path server(int major) {
        return Path.of(System.getProperty("pitr.postgres.servers")).resolve("postgres-" + major + ".jar");
    }

    /**
     * The page magic of every other major version pitr may come to read, as each real server writes it: each is
     * recognised as WAL of another version and refused, none is 15's, and they grow with the version. What the
     * reader per version (13 to 18) starts from.
     */
    @Test
    void theWalOfEveryOtherMajorVersionIsRecognisedAndRefused() throws Exception {
        Map<Integer, Integer> magics = new java.util.TreeMap<>();
        for (int major : List.of(12, 13, 14, 16, 17, 18)) {
            Path base = Files.createTempDirectory(Path.of("/tmp"), "pitr-it-pg" + major + "-");
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            LocalCluster pg = LocalCluster.init(
                            new PgTools(unpack(server(major), base), "postgres"),
                            base.resolve("data"),
                            LocalCluster.freePort())
                    .start();
            try {
                assertTrue(pg.queryOne("SHOW server_version_num").startsWith(Integer.toString(major)));
                pg.execute("CREATE TABLE t AS SELECT generate_series(1, 100) AS i");
                pg.execute("SELECT pg_switch_wal()");
                Path segment;
                try (Stream<Path> files = Files.list(base.resolve("data/pg_wal"))) {
                    segment = files.filter(f -> f.getFileName().toString().matches("[0-9A-F]{24}"))
                            .sorted()
                            .findFirst()
                            .orElseThrow();
                }
                byte[] first = new byte[64];
                try (InputStream in = Files.newInputStream(segment)) {
                    assertEquals(64, in.readNBytes(first, 0, 64));
                }
                java.util.OptionalInt magic =
                        dev.pitr.wal.WalRecords.otherVersionMagic(java.nio.ByteBuffer.wrap(first));
                assertTrue(magic.isPresent(), "PostgreSQL " + major + "'s WAL is recognised as another version's");
                magics.put(major, magic.getAsInt());
            } finally {
                pg.close();
            }
        }
        System.out.println("page magic by major version: "
                + magics.entrySet().stream()
                        .map(e -> e.getKey() + "=" + Integer.toHexString(e.getValue()))
                        .toList());
        List<Integer> ordered = List.copyOf(magics.values());
        for (int i = 1; i < ordered.size(); i++) {
            assertTrue(ordered.get(i) > ordered.get(i - 1), "magics grow with the version: " + magics);
        }
        assertEquals(EXPECTED_MAGICS, magics);
    }

    /** As the servers wrote them (the first run of the test above printed these). */
    static final Map<Integer, Integer> EXPECTED_MAGICS =
            Map.of(12, 0xD101, 13, 0xD106, 14, 0xD10D, 16, 0xD113, 17, 0xD116, 18, 0xD118);

    @Test
    void aPostgres12ServerIsRefusedByCheckAndItsWalIsNeverArchived() throws Exception {
        Path base = Files.createTempDirectory(Path.of("/tmp"), "pitr-it-pg12-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path bin = unpack(server(12), base);
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
}
