package dev.pitr.bench;

import dev.pitr.backup.SnapshotService;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.config.RepositorySetup;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Slots;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Full, block-level and native incremental snapshots of one pgbench database, in one run: two repositories archive the
 * same server at once (each with its own capture and slot), one taking block-level incrementals and one PostgreSQL's own
 * (17 and later, {@code summarize_wal = on}). Each takes a full; then 3 % of {@code pgbench_accounts} is updated in one
 * stretch and checkpointed, and each takes an incremental; then 3 % of the rows at random, and each takes another. The
 * figures are times and stored bytes, with each incremental's as a ratio of its repository's full.
 */
final class IncrementalBenchmark {

    private final Benchmarks b;
    private final Path base;
    private final List<String[]> rows = new ArrayList<>();

    IncrementalBenchmark(Benchmarks b) {
        this.b = b;
        this.base = b.base();
    }

    void run(int scale, Path binDir) throws Exception {
        b.reset();
        int port = LocalCluster.freePort();
        PgTools server = binDir == null
                ? PgTools.ofSetting(Key.POSTGRES_BIN_DIR.defaultValue().orElseThrow(), "postgres")
                        .newestInstalled()
                : new PgTools(binDir, "postgres");
        // pgbench is a client of any version: the packaged one drives every server
        PgTools clients = PgTools.ofSetting(Key.POSTGRES_BIN_DIR.defaultValue().orElseThrow(), "postgres")
                .newestInstalled();
        try (LocalCluster primary = LocalCluster.init(server, base.resolve("primary"), port)) {
            int major = server.majorVersion("postgres");
            Benchmarks.appendConf(
                    primary,
                    "wal_log_hints = on\nmax_wal_size = '16GB'\ncheckpoint_timeout = '1h'\nshared_buffers = '256MB'\n"
                            + (major >= 17 ? "summarize_wal = on\n" : ""));
            primary.start();
            b.say("PostgreSQL " + major + ", pgbench -i -s " + scale);
            PeerBenchmark.pgbenchInit(clients, port, scale);
            long dbBytes = Long.parseLong(primary.queryOne("SELECT pg_database_size('postgres')"));
            // pgbench -i's dirty pages are written now, not by the first full's checkpoint
            primary.execute("CHECKPOINT");
            Archive block = new Archive("block", port, server.binDir());
            Archive nat = major >= 17 ? new Archive("native", port, server.binDir()) : null;
            try (block;
                    Archive n = nat) {
                for (Archive a : archives(block, nat)) {
                    Slots.ensure(primary.primary(), a.slot);
                    a.startCapture();
                }
                for (Archive a : archives(block, nat)) {
                    a.take("full", SnapshotService.Mode.FULL);
                }
                b.say("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= " + scale * 3000
                        + " (3 % of the rows, one stretch); CHECKPOINT");
                primary.execute("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= " + scale * 3000);
                primary.execute("CHECKPOINT");
                for (Archive a : archives(block, nat)) {
                    a.take("3 % in one stretch", SnapshotService.Mode.INCREMENTAL);
                }
                restores(block, port + 1);
                b.say("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE random() < 0.03"
                        + " (3 % of the rows, at random); CHECKPOINT");
                primary.execute("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE random() < 0.03");
                primary.execute("CHECKPOINT");
                for (Archive a : archives(block, nat)) {
                    a.take("3 % at random", SnapshotService.Mode.INCREMENTAL);
                }
            }
            b.say("");
            b.say("database: " + (dbBytes >> 20) + " MB (pgbench scale " + scale + "), PostgreSQL " + major + ", "
                    + Runtime.getRuntime().availableProcessors() + " cores");
            b.say("| snapshot | kind | time | stored | tar (plain) | time / full's | stored / full's |");
            b.say("|---|---|---|---|---|---|---|");
            rows.forEach(r -> b.say("| " + String.join(" | ", r) + " |"));
            b.say("");
            b.say("| lay-down (fetch, decode, write, pg_verifybackup) | time (s) | / full's |");
            b.say("|---|---|---|");
            layDowns.forEach(r -> b.say("| " + String.join(" | ", r) + " |"));
            if (nat == null) {
                b.say("(no native incrementals: PostgreSQL " + major
                        + " has none; run with --postgres-bin naming 17's)");
            }
        }
    }

    /**
     * Lay-down times of the block-level repository: its full into an empty directory, its first incremental (a chain of
     * two) into an empty directory, and that incremental with {@code --delta} onto the directory of a restore of the
     * full (recovered, promoted and stopped: a restore made one incremental earlier). Each is the restore's
     * FetchSnapshot step: fetched, decoded, written, checked with pg_verifybackup.
     */
    private void restores(Archive a, int port) throws Exception {
        List<SnapshotRecord> snaps = a.repo.catalog().snapshots();
        SnapshotRecord full = snaps.get(0);
        SnapshotRecord inc = snaps.get(snaps.size() - 1);
        PgTools tools = PgTools.from(a.config);
        long t0 = System.nanoTime();
        // each line the restore logs, with the seconds since the lay-downs began: where the time goes
        PrintWriter timed = new PrintWriter(new java.io.Writer() {
            private final StringBuilder line = new StringBuilder();

            @Override
            public void write(char[] c, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    if (c[i] == '\n') {
                        b.say(String.format("    %7.2f  %s", (System.nanoTime() - t0) / 1e9, line));
                        line.setLength(0);
                    } else {
                        line.append(c[i]);
                    }
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        });
        dev.pitr.restore.RestoreSteps steps =
                new dev.pitr.restore.RestoreSteps(a.config, a.repo, tools, Clock.systemUTC(), timed);
        // the full's lay-down writes every byte, and its time varies with the disk: the median of three
        double[] fulls = new double[3];
        for (int i = 0; i < fulls.length; i++) {
            Path dir = base.resolve("restore-full-" + i);
            fulls[i] = layDown(steps, full, dir, false, port);
            if (i < fulls.length - 1) {
                PeerBenchmark.run(List.of("rm", "-rf", dir.toString()), "rm");
            }
        }
        java.util.Arrays.sort(fulls);
        double fullSeconds = fulls[1];
        double chainSeconds = layDown(steps, inc, base.resolve("restore-chain"), false, port);
        Path earlier = base.resolve("restore-delta");
        b.say("  restoring " + full.id() + " (the full) into " + earlier + ", to be restored onto with --delta");
        new dev.pitr.restore.RestoreService(
                        a.config, a.repo, tools, Clock.systemUTC(), new PrintWriter(new StringWriter()))
                .restore(immediate(full, earlier, port, false));
        PeerBenchmark.run(
                tools.asPostgres("pg_ctl", "-D", earlier.toString(), "-m", "fast", "-w", "stop"), "pg_ctl stop");
        double deltaSeconds = layDown(steps, inc, earlier, true, port);
        layDowns.add(new String[] {
            "full " + full.id() + ", into an empty directory (median of " + fmt(fulls[0]) + ", " + fmt(fulls[1]) + ", "
                    + fmt(fulls[2]) + ")",
            fmt(fullSeconds),
            ""
        });
        layDowns.add(new String[] {
            "incremental " + inc.id() + " (chain of 2), into an empty directory",
            fmt(chainSeconds),
            fmt(chainSeconds / fullSeconds)
        });
        layDowns.add(new String[] {
            "incremental " + inc.id() + ", --delta onto a restore of the full",
            fmt(deltaSeconds),
            fmt(deltaSeconds / fullSeconds)
        });
    }

    private final List<String[]> layDowns = new ArrayList<>();

    private double layDown(dev.pitr.restore.RestoreSteps steps, SnapshotRecord s, Path dir, boolean delta, int port) {
        dev.pitr.restore.RestoreRequest req = immediate(s, dir, port, delta);
        // what earlier steps wrote reaches the disk first, so that no lay-down pays for another's writes
        PeerBenchmark.run(List.of("sync"), "sync");
        long t0 = System.nanoTime();
        steps.prepareTarget(req);
        steps.fetchSnapshot(req, s);
        double seconds = (System.nanoTime() - t0) / 1e9;
        b.say(String.format(
                "  lay-down of %s into %s%s: %.1f s", s.id(), dir.getFileName(), delta ? " (--delta)" : "", seconds));
        return seconds;
    }

    /** A restore of {@code s} to its consistency point into {@code dir}, promoted. */
    private static dev.pitr.restore.RestoreRequest immediate(SnapshotRecord s, Path dir, int port, boolean delta) {
        return new dev.pitr.restore.RestoreRequest(
                new dev.pitr.restore.RestoreTarget.Immediate(),
                new dev.pitr.restore.TargetTimeline.Latest(),
                true,
                dir,
                port,
                dev.pitr.restore.RestoreRequest.Action.PROMOTE,
                s.id(),
                false,
                delta);
    }

    private static String fmt(double v) {
        return String.format("%.2f", v);
    }

    private static List<Archive> archives(Archive block, Archive nat) {
        return nat == null ? List.of(block) : List.of(block, nat);
    }

    /** One repository archiving the server, with its own capture, slot and kind of incremental. */
    private final class Archive implements AutoCloseable {
        final String kind;
        final String slot;
        final Config config;
        final Repository repo;
        Process capture;
        SnapshotRecord full;

        Archive(String kind, int port, Path binDir) throws Exception {
            this.kind = kind;
            this.slot = "pitr_" + kind;
            Map<Key, String> m = new EnumMap<>(Key.class);
            m.put(Key.PRIMARY_HOST, "127.0.0.1");
            m.put(Key.PRIMARY_PORT, Integer.toString(port));
            m.put(Key.STORAGE_PATH, base.resolve("repo-" + kind).toString());
            m.put(Key.CATALOG_PATH, base.resolve("catalog-" + kind + ".db").toString());
            m.put(Key.WAL_SPOOL_DIR, base.resolve("spool-" + kind).toString());
            m.put(Key.WAL_SLOT, slot);
            m.put(Key.POSTGRES_BIN_DIR, binDir.toString());
            m.put(Key.SNAPSHOT_INCREMENTAL_KIND, kind);
            m.put(Key.SNAPSHOT_WAL_TIMEOUT_SECONDS, "600");
            m.put(Key.RESTORE_PITR_COMMAND, dev.pitr.restore.RestoreSteps.pitrCommand(Benchmarks.pitrJar()));
            config = Config.of(base.resolve("pitr-" + kind + ".yaml"), m);
            java.nio.file.Files.createDirectories(base.resolve("spool-" + kind));
            RepositorySetup.ensure(config, true);
            repo = Repository.open(config, false);
        }

        void startCapture() throws Exception {
            Path yaml = Benchmarks.writeYaml(config);
            capture = new ProcessBuilder(PeerBenchmark.java("wal", "capture", yaml))
                    .redirectErrorStream(true)
                    .redirectOutput(base.resolve("capture-" + kind + ".log").toFile())
                    .start();
        }

        void take(String what, SnapshotService.Mode mode) {
            StringWriter log = new StringWriter();
            long t0 = System.nanoTime();
            SnapshotRecord s = SnapshotService.from(config, repo, Clock.systemUTC(), new PrintWriter(log))
                    .create(what, mode);
            double seconds = (System.nanoTime() - t0) / 1e9;
            boolean isFull = mode == SnapshotService.Mode.FULL;
            if (isFull) {
                full = s;
                fullSeconds = seconds;
            } else if (!s.lineage().incremental()) {
                throw new IllegalStateException(kind + ": the incremental came out a full:\n" + log);
            }
            b.say(String.format("  %s, %s: %.1f s, %d MB stored", kind, what, seconds, s.storedSize() >> 20));
            rows.add(new String[] {
                what,
                isFull ? "full" : kind,
                String.format("%.1f s", seconds),
                String.format("%.1f MB", s.storedSize() / 1048576.0),
                String.format("%.1f MB", s.plainSize() / 1048576.0),
                isFull ? "" : String.format("%.2f", seconds / fullSeconds),
                isFull ? "" : String.format("%.3f", (double) s.storedSize() / full.storedSize())
            });
        }

        double fullSeconds;

        @Override
        public void close() throws Exception {
            if (capture != null) {
                capture.destroy();
                capture.waitFor();
            }
            repo.close();
        }
    }
}
