package dev.pitr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pitr.aws.TestAws;
import dev.pitr.cli.Cli;
import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.PostgresServers;
import dev.pitr.postgres.Processes;
import dev.pitr.restore.RestoreSteps;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL 15 primary with a pitr configuration around it, for integration tests: a base directory under
 * /tmp that the postgres OS user can read, the packaged pitr.jar copied into it for restore_command, and capture run
 * as a separate process so that tests can kill it.
 */
public final class ArchiveFixture implements AutoCloseable {

    public final Path base;
    public final Path configFile;
    public final LocalCluster primary;
    /** The PostgreSQL major version of the primary and of every server a restore starts. */
    public final int major;

    public final PgTools tools;
    private final Path jar;
    private int targets;
    private Process capture;

    /** Where the archive lives. */
    public enum Backend {
        /** The embedded default: a local directory and a SQLite catalog. */
        LOCAL,
        /** S3 and DynamoDB from {@link TestAws}: S3Proxy and DynamoDB Local by default, LocalStack with -Plocalstack. */
        AWS
    }

    /** How the archive is encrypted; each mode's key material is made for the fixture under {@code keys/}. */
    public enum Encryption {
        NONE,
        /** A 256-bit key file, as {@code pitr keys generate} writes it. */
        KEY_FILE,
        /** A passphrase in a file, stretched with Argon2id. */
        PASSPHRASE,
        /**
         * An OpenPGP key pair made by gpg: the configuration holds only the public key, as on an archiver host; commands
         * a restore host runs get the secret key through {@code PITR_ENCRYPTION_SECRET_KEY}.
         */
        PUBLIC_KEY
    }

    public final Backend backend;
    public final Encryption encryption;
    /** The environment of commands that run on the restore host. */
    public final Map<String, String> restoreEnv = new java.util.HashMap<>();
    /** S3 and DynamoDB of an AWS fixture, wherever {@link TestAws} finds them; null for a local one. */
    private final TestAws aws;

    public ArchiveFixture(String name) {
        this(name, Backend.LOCAL);
    }

    public ArchiveFixture(String name, Backend backend) {
        this(name, backend, Encryption.NONE);
    }

    public ArchiveFixture(String name, Backend backend, Encryption encryption) {
        this(name, backend, encryption, PostgresServers.defaultMajor());
    }

    /** A fixture whose primary is PostgreSQL {@code major}, with {@code postgres.bin_dir} naming its programs. */
    public ArchiveFixture(String name, Backend backend, Encryption encryption, int major) {
        this.backend = backend;
        this.encryption = encryption;
        this.major = major;
        this.tools = new PgTools(PostgresServers.installation(major), "postgres");
        // first, so that a test aborted for want of Docker leaves nothing running
        aws = backend == Backend.AWS ? TestAws.start() : null;
        try {
            base = Files.createTempDirectory(Path.of("/tmp"), "pitr-it-" + name + "-");
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path builtJar =
                    Path.of(System.getProperty("pitr.jar", "target/pitr.jar")).toAbsolutePath();
            jar = Files.copy(builtJar, base.resolve("pitr.jar"));
            int port = LocalCluster.freePort();
            primary = LocalCluster.init(tools, base.resolve("primary"), port).start();
            configFile = base.resolve("pitr.yaml");
            Files.writeString(
                    configFile,
                    "primary:\n  host: 127.0.0.1\n  port: " + port + "\n  user: postgres\n"
                            + "wal:\n  spool_dir: spool\n  poll_millis: 100\n"
                            + repositoryYaml()
                            + encryptionYaml()
                            + "snapshot:\n  wal_timeout_seconds: 120\n"
                            + (tools.binDir().equals(PostgresServers.installation(PostgresServers.PACKAGED))
                                    ? ""
                                    : "postgres:\n  bin_dir: '" + tools.binDir() + "'\n")
                            + "agent:\n  restore_root: '" + base.toString().replace("'", "''") + "'\n"
                            + "restore:\n  pitr_command: '"
                            + RestoreSteps.pitrCommand(jar).replace("'", "''") + "'\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String repositoryYaml() {
        if (backend == Backend.LOCAL) {
            return "storage:\n  path: repo\n";
        }
        aws.createArchive();
        return "storage:\n  type: s3\n  bucket: " + aws.bucket() + "\n  prefix: it\n  endpoint: " + aws.s3Endpoint()
                + "\n"
                + "  region: " + aws.region() + "\n  part_size_mb: 5\n  request_timeout_seconds: 10\n"
                + "catalog:\n  type: dynamodb\n  table: " + aws.table() + "\n  endpoint: " + aws.dynamoDbEndpoint()
                + "\n"
                + "  region: " + aws.region() + "\n"
                + "  cluster: '" + primary.queryOne("SELECT system_identifier FROM pg_control_system()") + "'\n"
                + "aws:\n  access_key_id: " + aws.accessKey() + "\n  secret_access_key: " + aws.secretKey() + "\n";
    }

    private String encryptionYaml() throws IOException {
        if (encryption == Encryption.NONE) {
            return "";
        }
        Path keys = Files.createDirectories(base.resolve("keys"));
        return switch (encryption) {
            case KEY_FILE -> {
                assertEquals(
                        0,
                        Cli.run(
                                        Map.of(),
                                        "keys",
                                        "generate",
                                        "--out",
                                        keys.resolve("kek.hex").toString())
                                .exitCode());
                yield "encryption:\n  mode: key-file\n  key_file: keys/kek.hex\n";
            }
            case PASSPHRASE -> {
                Files.writeString(keys.resolve("passphrase"), "correct horse battery staple\n");
                yield "encryption:\n  mode: passphrase\n  passphrase_file: keys/passphrase\n";
            }
            case PUBLIC_KEY -> {
                Path home = Files.createDirectories(keys.resolve("gnupg"));
                Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
                gpg(home, "--quick-gen-key", "pitr restore host <restore@example.invalid>", "ed25519", "sign", "never");
                String fpr = gpg(home, "--list-keys", "--with-colons")
                        .lines()
                        .filter(l -> l.startsWith("fpr:"))
                        .findFirst()
                        .orElseThrow()
                        .split(":", -1)[9];
                gpg(home, "--quick-add-key", fpr, "cv25519", "encr", "never");
                Files.writeString(keys.resolve("public.asc"), gpg(home, "--export", "--armor"));
                Files.writeString(keys.resolve("secret.asc"), gpg(home, "--export-secret-keys", "--armor"));
                restoreEnv.put(
                        "PITR_ENCRYPTION_SECRET_KEY", keys.resolve("secret.asc").toString());
                yield "encryption:\n  mode: public-key\n  public_key: keys/public.asc\n";
            }
            case NONE -> throw new IllegalStateException();
        };
    }

    /** Runs gpg with its own home directory, no passphrase, and returns its output. */
    public static String gpg(Path home, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                "gpg",
                "--homedir",
                home.toString(),
                "--batch",
                "--quiet",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                ""));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), () -> String.join(" ", cmd));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Points the configuration at other endpoints (fault proxies) with a short request timeout. */
    public void routeThrough(java.net.URI s3Endpoint, java.net.URI dynamoEndpoint, int timeoutSeconds) {
        try {
            String yaml = Files.readString(configFile);
            yaml = yaml.replace("endpoint: " + aws.s3Endpoint(), "endpoint: " + s3Endpoint)
                    .replace("endpoint: " + aws.dynamoDbEndpoint(), "endpoint: " + dynamoEndpoint)
                    .replace("request_timeout_seconds: 10", "request_timeout_seconds: " + timeoutSeconds);
            Files.writeString(configFile, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The S3 and DynamoDB services of an AWS fixture. */
    public TestAws aws() {
        return aws;
    }

    /**
     * Compresses full snapshots here and stores each snapshot in parts of 1 MiB ({@code snapshot.compression: client},
     * {@code snapshot.object_size_mb}), so that even a small one has many.
     */
    public void smallSnapshotParts() throws IOException {
        Files.writeString(
                configFile,
                Files.readString(configFile)
                        .replace(
                                "snapshot:\n  wal_timeout_seconds: 120\n",
                                "snapshot:\n  wal_timeout_seconds: 120\n  object_size_mb: 1\n  compression: client\n"));
    }

    /** The archive's repository, opened the way the CLI opens it; the caller closes it. */
    public Repository repository() {
        return Repository.open(config(), backend == Backend.LOCAL && Files.exists(base.resolve("catalog.db")));
    }

    /**
     * Runs a command in-process. Commands of the archiver host (init, check, snapshot, and wal other than fetch) get
     * no extra environment; every other command runs as on the restore host, with {@link #restoreEnv}.
     */
    public Cli.Run cli(String... args) {
        boolean archiverHost = java.util.Set.of("init", "check", "snapshot").contains(args[0])
                || (args[0].equals("wal") && args.length > 1 && !args[1].equals("fetch"));
        return cliWithEnv(archiverHost ? Map.of() : restoreEnv, args);
    }

    /** Runs a command with {@code PITR_*} environment overrides. */
    public Cli.Run cliWithEnv(Map<String, String> env, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--config";
        all[1] = configFile.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return Cli.run(env, all);
    }

    /** Runs a command and fails the test, with both output streams, unless it exits 0. */
    public Cli.Run ok(String... args) {
        Cli.Run r = cli(args);
        assertEquals(0, r.exitCode(), () -> String.join(" ", args) + " failed:\n" + r + captureTail());
        return r;
    }

    /** The end of capture's log, for a failure message; empty when capture was not started. */
    private String captureTail() {
        if (capture == null) {
            return "";
        }
        String log = captureLog();
        return "\n--- capture.log\n" + log.substring(Math.max(0, log.length() - 4000));
    }

    public void startCapture() {
        try {
            capture = new ProcessBuilder(
                            "java", "-jar", jar.toString(), "--config", configFile.toString(), "wal", "capture")
                    .redirectErrorStream(true)
                    .redirectOutput(base.resolve("capture.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Process capture() {
        return capture;
    }

    public void stopCapture() throws InterruptedException {
        if (capture != null && capture.isAlive()) {
            capture.destroy();
            capture.waitFor(60, TimeUnit.SECONDS);
        }
    }

    public String captureLog() {
        try {
            return Files.readString(base.resolve("capture.log"));
        } catch (IOException e) {
            return "";
        }
    }

    public Config config() {
        return Config.load(configFile, Map.of());
    }

    /** Switches to a new segment and waits until the finished one is archived. */
    public void switchAndAwaitArchived() throws InterruptedException {
        Lsn end = Lsn.parse(primary.queryOne("SELECT pg_switch_wal()"));
        // pg_switch_wal on an idle segment is a no-op; a write makes the next switch real
        primary.execute("CREATE TEMP TABLE IF NOT EXISTS nudge (x int)");
        awaitArchived(end);
    }

    public void awaitArchived(Lsn lsn) throws InterruptedException {
        awaitArchived(lsn, TimelineId.of(1));
    }

    /** Waits until the segment that ends at or holds the byte before {@code lsn} on {@code timeline} is recorded. */
    public void awaitArchived(Lsn lsn, TimelineId timeline) throws InterruptedException {
        SegmentName seg = SegmentName.containing(timeline, new Lsn(lsn.value() - 1), 16L << 20);
        for (int i = 0; i < 1200; i++) {
            if (backend != Backend.LOCAL || Files.exists(base.resolve("catalog.db"))) {
                try (Repository r = repository()) {
                    if (r.catalog().segment(seg.walFileName()).isPresent()) {
                        return;
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("segment " + seg + " was not archived within 120 s\n" + captureLog());
    }

    /** What {@link #await} waits for; a runtime exception counts as "not yet" (a server still starting, say). */
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** Waits up to 60 s for {@code c}, failing with {@code what} otherwise. */
    public void await(String what, Condition c) throws Exception {
        for (int i = 0; i < 600; i++) {
            try {
                if (c.holds()) {
                    return;
                }
            } catch (RuntimeException e) {
                // not yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what + "\n" + captureLog());
    }

    /** Writes {@code bytes} of zeros for real, as ballast that fills a filesystem: tmpfs keeps every page written. */
    public static void fill(Path file, long bytes) throws IOException {
        java.nio.ByteBuffer zeros = java.nio.ByteBuffer.allocate(1 << 20);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                file, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            for (long left = bytes; left > 0; ) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), left));
                left -= ch.write(zeros);
            }
        }
    }

    /** A fresh, not yet existing directory for a restore; whatever runs there is stopped when the fixture closes. */
    public Path newTargetDir() {
        targets++;
        return base.resolve("restore-" + targets);
    }

    /** Inserts marker rows {@code from..to} of {@code batch}, one transaction each. */
    public static void insertMarkers(LocalCluster pg, int from, int to, String batch) {
        for (int i = from; i <= to; i++) {
            pg.execute("INSERT INTO marker VALUES (" + i + ", '" + batch + "')");
        }
    }

    /**
     * Runs {@code pitr restore TARGET... --target-dir NEW --port FREE}, which must succeed, and returns the restored
     * marker rows as {@code count:min-max}.
     */
    public String restoreMarkers(String... target) {
        Path dir = newTargetDir();
        int port = LocalCluster.freePort();
        List<String> args = new ArrayList<>(List.of("restore"));
        args.addAll(List.of(target));
        args.addAll(List.of("--target-dir", dir.toString(), "--port", Integer.toString(port)));
        ok(args.toArray(String[]::new));
        return restoredServer(dir, port).queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker");
    }

    /** The server a restore started in {@code dir}. */
    public LocalCluster restoredServer(Path dir, int port) {
        return LocalCluster.existing(tools, dir, port);
    }

    @Override
    public void close() throws Exception {
        stopCapture();
        for (int i = 1; i <= targets; i++) {
            Path dir = base.resolve("restore-" + i);
            if (Files.exists(dir.resolve("postmaster.pid"))) {
                Processes.run(tools.asPostgres("pg_ctl", "-D", dir.toString(), "-m", "immediate", "-w", "stop"));
            }
        }
        primary.stop();
        if (aws != null) {
            aws.close();
        }
        if (!Boolean.getBoolean("pitr.keep")) {
            Processes.run(List.of("rm", "-rf", base.toString()));
        }
    }
}
