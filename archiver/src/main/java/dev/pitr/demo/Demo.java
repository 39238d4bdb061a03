package dev.pitr.demo;

import dev.pitr.backup.SnapshotService;
import dev.pitr.check.CheckService;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.restore.RestoreRequest;
import dev.pitr.restore.RestoreService;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.wal.CaptureService;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.Sleeper;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalShipper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;

/**
 * The whole loop on the embedded default, end to end: a throwaway primary, capture, a snapshot, rows written in three
 * batches, and a restore to a time between the second and third batch that must hold exactly the first two.
 */
public final class Demo {

    private final Path base;
    private final PrintWriter out;

    public Demo(Path base, PrintWriter out) {
        this.base = base.toAbsolutePath().normalize();
        this.out = out;
    }

    /** Returns true when the restored rows are exactly the expected ones. */
    public boolean run() throws Exception {
        reset();
        int port = LocalCluster.freePort();
        Config config = Config.of(base.resolve("pitr.yaml"), settings(port));
        writeConfigFile(config, port);
        PgTools tools = PgTools.from(config).newestInstalled();
        step("starting a throwaway PostgreSQL " + tools.majorVersion("postgres") + " primary on port " + port);
        try (LocalCluster primary =
                        LocalCluster.init(tools, base.resolve("primary"), port).start();
                Repository repo = Repository.open(config, false)) {
            step("pitr check --fix");
            for (CheckService.Result r : new CheckService(config).run(true)) {
                out.printf("  %-4s %-22s %s%n", r.ok() ? "ok" : "FAIL", r.name(), r.detail());
            }
            step("starting WAL capture (pg_receivewal on slot pitr_slot, shipping to "
                    + config.require(Key.STORAGE_PATH) + ", zstd + OpenPGP AES-256 under a per-object key wrapped by "
                    + repo.codec().keyring().current().orElseThrow().keyId() + ")");
            StringWriter captureLog = new StringWriter();
            CaptureService capture = new CaptureService(
                    tools,
                    primary.primary(),
                    "pitr_slot",
                    base.resolve("spool"),
                    new WalShipper(repo, Clock.systemUTC()),
                    Duration.ofMillis(100),
                    Duration.ofMinutes(1),
                    Clock.systemUTC(),
                    Sleeper.SYSTEM,
                    new PrintWriter(captureLog, true));
            Thread captureThread = new Thread(capture::run, "capture");
            captureThread.start();
            try {
                primary.execute(
                        "CREATE TABLE orders (id int PRIMARY KEY, batch text, committed_at timestamptz DEFAULT clock_timestamp())");
                insert(primary, 1, 100, "before-snapshot");
                step("pitr snapshot create");
                var snap = new SnapshotService(
                                repo, tools, primary.primary(), Clock.systemUTC(), Duration.ofSeconds(60), out)
                        .create("demo");
                out.println("  snapshot " + snap.id() + ": " + snap.plainSize() + " bytes -> " + snap.storedSize()
                        + " stored");
                insert(primary, 101, 200, "kept");
                Thread.sleep(1100);
                Instant target = Instant.parse(primary.queryOne(
                        "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
                Thread.sleep(1100);
                insert(primary, 201, 300, "after-target");
                step("rows 1-200 committed before " + target + ", rows 201-300 after it");
                Lsn end = Lsn.parse(primary.queryOne("SELECT pg_switch_wal()"));
                primary.execute("CREATE TABLE after_switch (x int)");
                awaitArchived(repo, end);
                step("pitr restore --to '" + target + "'");
                Path restoreDir = base.resolve("restored");
                int restorePort = LocalCluster.freePort();
                RestoreService.Outcome o = new RestoreService(config, repo, tools, Clock.systemUTC(), out)
                        .restore(RestoreRequest.of(
                                new RestoreTarget.Time(target),
                                restoreDir,
                                restorePort,
                                RestoreRequest.Action.PROMOTE));
                out.println("  recovery stopped " + o.stopReason());
                try (LocalCluster restored = LocalCluster.existing(tools, restoreDir, restorePort)) {
                    String got = restored.queryOne(
                            "SELECT count(*) || ' rows, ids ' || min(id) || '-' || max(id) || ', batches ' || string_agg(DISTINCT batch, ',') FROM orders");
                    String expected = "200 rows, ids 1-200, batches before-snapshot,kept";
                    step("restored database holds: " + got);
                    boolean ok = expected.equals(got);
                    out.println(
                            ok
                                    ? "  OK: exactly the rows committed at or before the target, none after"
                                    : "  WRONG: expected " + expected);
                    return ok;
                }
            } finally {
                capture.requestStop();
                captureThread.join(30_000);
            }
        } finally {
            out.println();
            out.println("demo files are in " + base + " (remove them with: rm -rf " + base + ")");
            out.flush();
        }
    }

    private void reset() throws IOException {
        Workspace.reset(
                base,
                PgTools.ofSetting(Key.POSTGRES_BIN_DIR.defaultValue().orElseThrow(), "postgres")
                        .newestInstalled());
        for (Path p : Workspace.unsearchableParents(base)) {
            out.println("note: " + p
                    + " is not searchable by other users; the restore needs the postgres user to reach " + base);
        }
        // every object the demo archives is encrypted under this key, as 'pitr keys generate' makes one
        byte[] kek = new byte[32];
        new java.security.SecureRandom().nextBytes(kek);
        Path keyFile = Files.createDirectories(base.resolve("keys")).resolve("kek.hex");
        Files.createFile(
                keyFile,
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(keyFile, java.util.HexFormat.of().formatHex(kek) + "\n");
    }

    private Map<Key, String> settings(int port) {
        Map<Key, String> m = new EnumMap<>(Key.class);
        m.put(Key.PRIMARY_HOST, "127.0.0.1");
        m.put(Key.PRIMARY_PORT, Integer.toString(port));
        m.put(Key.STORAGE_PATH, base.resolve("repo").toString());
        m.put(Key.WAL_SPOOL_DIR, base.resolve("spool").toString());
        m.put(Key.ENCRYPTION_MODE, "key-file");
        m.put(Key.ENCRYPTION_KEY_FILE, base.resolve("keys/kek.hex").toString());
        // restore_command runs as the postgres user, so it gets its own copy of the jar where that user can read it
        Workspace.pitrCommandCopy(base).ifPresent(c -> m.put(Key.RESTORE_PITR_COMMAND, c));
        return m;
    }

    private void writeConfigFile(Config config, int port) throws IOException {
        Files.writeString(
                config.file(),
                "# the demo's configuration; every key is documented in docs/configuration.md\n"
                        + "primary:\n  host: 127.0.0.1\n  port: " + port + "\n  user: postgres\n"
                        + "wal:\n  spool_dir: " + base.resolve("spool") + "\n"
                        + "storage:\n  path: " + base.resolve("repo") + "\n"
                        + "encryption:\n  mode: key-file\n  key_file: " + base.resolve("keys/kek.hex") + "\n"
                        + config.get(Key.RESTORE_PITR_COMMAND)
                                .map(c -> "restore:\n  pitr_command: '" + c.replace("'", "''") + "'\n")
                                .orElse(""));
    }

    private static void insert(LocalCluster c, int from, int to, String batch) {
        // one transaction per row, like an application would commit them
        for (int i = from; i <= to; i++) {
            c.execute("INSERT INTO orders (id, batch) VALUES (" + i + ", '" + batch + "')");
        }
    }

    private static void awaitArchived(Repository repo, Lsn lsn) throws InterruptedException {
        SegmentName seg = SegmentName.containing(TimelineId.of(1), new Lsn(lsn.value() - 1), 16L << 20);
        for (int i = 0; i < 600 && repo.catalog().segment(seg.walFileName()).isEmpty(); i++) {
            Thread.sleep(100);
        }
    }

    private void step(String s) {
        out.println("==> " + s);
        out.flush();
    }
}
