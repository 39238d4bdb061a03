package dev.pitr.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pitr.backup.SnapshotService;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Processes;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalShipper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * pitr against pgBackRest on one cluster and the same WAL, in one run: a full snapshot of a pgbench database, shipping
 * the same segments, and a restore to a time target, with the plain {@code cp} restore_command as the floor. Both
 * tools compress with zstd at level 3 and encrypt (pitr: OpenPGP AES-256 under a key file; pgBackRest: its repository
 * cipher, aes-256-cbc), both run two processes where they have the option, and both keep their repository on local
 * disk. Prints a markdown table and writes the figures as JSON.
 */
final class PeerBenchmark {

    private static final long SEG = 16L << 20;
    private static final String STANZA = "bench";

    private final Benchmarks b;
    private final Path base;
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();

    PeerBenchmark(Benchmarks b, Path base) {
        this.b = b;
        this.base = base;
    }

    void run(int scale, int segments, Path json) throws Exception {
        b.reset();
        String version =
                Processes.run(List.of("pgbackrest", "version")).output().strip();
        if (!version.startsWith("pgBackRest")) {
            throw new IllegalStateException(
                    "pgbackrest is not installed (bench/run.sh installs Debian's package): " + version);
        }
        results.put(
                "machine",
                Map.of(
                        "cores",
                        Runtime.getRuntime().availableProcessors(),
                        "pgbackrest",
                        version,
                        "java",
                        System.getProperty("java.version"),
                        "storage",
                        "local disk for both repositories"));
        int port = LocalCluster.freePort();
        Config config = b.config(port);
        PgTools tools = PgTools.from(config).newestInstalled();
        Path sock = ownedByPostgres(tools, base.resolve("sock"));
        Path pgbrConf = pgbackrestConf(tools, "pgbr", STANZA, base.resolve("primary"), port, sock);
        try (LocalCluster primary = LocalCluster.init(tools, base.resolve("primary"), port);
                Repository repo = Repository.open(config, false)) {
            Benchmarks.appendConf(
                    primary,
                    "wal_keep_size = '16GB'\nmax_wal_size = '16GB'\ncheckpoint_timeout = '1h'\n"
                            + "unix_socket_directories = '" + sock + "'\narchive_mode = on\n"
                            + "archive_command = 'pgbackrest --config=" + pgbrConf + " --stanza=" + STANZA
                            + " archive-push %p'\n");
            primary.start();
            pgbackrest(tools, pgbrConf, STANZA, "stanza-create");
            b.say("pgbench -i -s " + scale);
            pgbenchInit(tools, port, scale);
            // capture as an operator runs it: its own process, so that its memory is its own
            Path yaml = Benchmarks.writeYaml(config);
            Process capture = new ProcessBuilder(java("wal", "capture", yaml))
                    .redirectErrorStream(true)
                    .redirectOutput(base.resolve("capture.log").toFile())
                    .start();
            Rss captureRss = new Rss(capture.pid());
            Instant target;
            long expectedRows;
            String firstWal;
            try {
                // both archivers catch up with pgbench -i's WAL first, so that neither snapshot waits for the other's
                // backlog
                caughtUp(primary, repo, tools, pgbrConf);
                snapshot(repo, tools, primary, pgbrConf);
                firstWal = primary.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
                generateWal(primary, tools, port, firstWal, segments);
                rpo(repo, tools, port, 30);
                target = Instant.parse(primary.queryOne(
                        "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
                expectedRows = Long.parseLong(primary.queryOne("SELECT count(*) FROM pgbench_history"));
                Thread.sleep(1200);
                primary.execute("CREATE TABLE after_target AS SELECT 1 AS x");
                Lsn end = Lsn.parse(primary.queryOne("SELECT pg_switch_wal()"));
                primary.execute("CREATE TABLE nudge (x int)");
                pgbackrest(tools, pgbrConf, STANZA, "check");
                SegmentName last = SegmentName.containing(TimelineId.of(1), new Lsn(end.value() - 1), SEG);
                while (repo.catalog().segment(last.walFileName()).isEmpty()) {
                    Thread.sleep(100);
                }
            } finally {
                capture.destroy();
                capture.waitFor();
                captureRss.stop();
            }
            Path shipSource = copySegments(primary, firstWal, segments);
            primary.stop();
            restores(config, yaml, repo, tools, pgbrConf, port, target, expectedRows);
            results.put(
                    "resources",
                    Map.of(
                            "capture_peak_rss_mb",
                            captureRss.peakMb(),
                            "restore_peak_rss_mb",
                            restoreRssMb,
                            "jvm",
                            "as the ./pitr launcher starts it (capture: -XX:+UseSerialGC -Xmx128m)"));
            rows.add(new String[] {
                "peak RSS: capture / restore (agent)", captureRss.peakMb() + " MB / " + restoreRssMb + " MB", "", "", ""
            });
            shipping(config, tools, primary, shipSource, segments, sock);
        }
        print();
        Files.createDirectories(json.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), results);
        b.say("figures written to " + json);
    }

    private void caughtUp(LocalCluster primary, Repository repo, PgTools tools, Path pgbrConf) throws Exception {
        Lsn end = Lsn.parse(primary.queryOne("SELECT pg_switch_wal()"));
        primary.execute("CREATE TABLE catch_up (x int)");
        SegmentName last = SegmentName.containing(TimelineId.of(1), new Lsn(end.value() - 1), SEG);
        while (repo.catalog().segment(last.walFileName()).isEmpty()) {
            Thread.sleep(100);
        }
        pgbackrest(tools, pgbrConf, STANZA, "check");
    }

    private void snapshot(Repository repo, PgTools tools, LocalCluster primary, Path pgbrConf) throws IOException {
        long dbBytes = Long.parseLong(primary.queryOne("SELECT pg_database_size('postgres')"));
        long t0 = System.nanoTime();
        SnapshotRecord snap = new SnapshotService(
                        repo,
                        tools,
                        primary.primary(),
                        Clock.systemUTC(),
                        Duration.ofMinutes(5),
                        new PrintWriter(new StringWriter()))
                .create("bench");
        double pitr = seconds(t0);
        long t1 = System.nanoTime();
        pgbackrest(tools, pgbrConf, STANZA, "backup", "--type=full");
        double pgbr = seconds(t1);
        long pgbrBytes = du(base.resolve("pgbr/repo/backup"));
        results.put(
                "snapshot",
                Map.of(
                        "database_bytes",
                        dbBytes,
                        "pitr",
                        Map.of("seconds", pitr, "stored_bytes", snap.storedSize()),
                        "pgbackrest",
                        Map.of(
                                "seconds",
                                pgbr,
                                "stored_bytes",
                                pgbrBytes,
                                "options",
                                "backup --type=full, process-max=2"),
                        "ratio_time_pitr_to_pgbackrest",
                        pitr / pgbr));
        rows.add(new String[] {
            "snapshot of " + (dbBytes >> 20) + " MB: time",
            fmt(pitr) + " s",
            fmt(pgbr) + " s",
            "",
            fmt(pitr / pgbr) + " (pitr/pgBackRest)"
        });
        rows.add(new String[] {"snapshot: stored", (snap.storedSize() >> 20) + " MB", (pgbrBytes >> 20) + " MB", "", ""
        });
    }

    private void generateWal(LocalCluster primary, PgTools tools, int port, String first, int segments)
            throws Exception {
        b.say("pgbench until " + segments + " segments of WAL are written (both archivers running)");
        long t0 = System.nanoTime();
        while (Benchmarks.segmentsSince(primary, first) < segments) {
            Processes.Result r = Processes.run(
                    pgbench(tools, port, "-n", "-T", "10", "-c", "4", "-j", "2"),
                    Map.of("PGOPTIONS", "-c synchronous_commit=off"));
            if (!r.ok()) {
                throw new IllegalStateException("pgbench: " + r.output());
            }
        }
        double s = seconds(t0);
        b.say(String.format("  %.0f s, %.1f MB/s of WAL", s, Benchmarks.segmentsSince(primary, first) * 16 / s));
    }

    /** The first {@code n} segments from {@code first} as the primary wrote them (kept by wal_keep_size). */
    private Path copySegments(LocalCluster primary, String first, int n) throws IOException {
        Path out = Files.createDirectories(base.resolve("ship-source"));
        SegmentName s = SegmentName.parse(first, SEG);
        for (int i = 0; i < n; i++, s = s.next()) {
            Files.copy(primary.dataDir().resolve("pg_wal").resolve(s.fileName()), out.resolve(s.fileName()));
        }
        return out;
    }

    private long restoreRssMb;

    private void restores(
            Config config,
            Path yaml,
            Repository repo,
            PgTools tools,
            Path pgbrConf,
            int port,
            Instant target,
            long expectedRows)
            throws Exception {
        RestoreTarget t = new RestoreTarget.Time(target);
        String check = "SELECT count(*) || ',' || (to_regclass('after_target') IS NULL) FROM pgbench_history";
        String want = expectedRows + ",true";
        long wal = repo.catalog().allSegments().size() * SEG;
        b.say("restoring to " + target + " (" + (wal >> 20) + " MB of WAL archived); the target holds " + expectedRows
                + " pgbench_history rows");
        Path cpScript = b.cpFetchScript(repo);
        double[] floor = timedPitr(config, repo, tools, "restore-cp", cpScript.toString(), t, check, want);
        double[] pitr = timedPitrCli(yaml, tools, target, check, want);
        double[] pgbr = timedPgbackrest(tools, pgbrConf, port, target, check, want);
        results.put(
                "restore",
                Map.of(
                        "target",
                        target.toString(),
                        "wal_bytes_archived",
                        wal,
                        "cp_floor",
                        Map.of(
                                "seconds",
                                floor[0],
                                "replay_seconds",
                                floor[1],
                                "what",
                                "pitr's snapshot laid down, restore_command = cp from a directory of plain segments, no prefetch"),
                        "pitr",
                        Map.of(
                                "seconds",
                                pitr[0],
                                "replay_seconds",
                                pitr[1],
                                "what",
                                "pitr restore --to, its own process",
                                "prefetch_parallelism",
                                config.require(Key.RESTORE_PREFETCH_PARALLELISM),
                                "prefetch_mb",
                                config.require(Key.RESTORE_PREFETCH_MB)),
                        "pgbackrest",
                        Map.of(
                                "seconds",
                                pgbr[0],
                                "replay_seconds",
                                pgbr[1],
                                "options",
                                "restore --type=time, archive-async=y, process-max=2"),
                        "ratio_replay_pitr_to_floor",
                        pitr[1] / floor[1],
                        "ratio_replay_pgbackrest_to_floor",
                        pgbr[1] / floor[1],
                        "ratio_total_pitr_to_pgbackrest",
                        pitr[0] / pgbr[0]));
        rows.add(new String[] {
            "restore to a time: replay",
            fmt(pitr[1]) + " s",
            fmt(pgbr[1]) + " s",
            fmt(floor[1]) + " s",
            fmt(pitr[1] / floor[1]) + " (pitr/floor), " + fmt(pgbr[1] / floor[1]) + " (pgBackRest/floor)"
        });
        rows.add(new String[] {
            "restore to a time: total (snapshot + replay)",
            fmt(pitr[0]) + " s",
            fmt(pgbr[0]) + " s",
            fmt(floor[0]) + " s",
            fmt(pitr[0] / pgbr[0]) + " (pitr/pgBackRest)"
        });
    }

    /** Total and replay seconds of a pitr restore; replay counts from the server's start to the end. */
    private double[] timedPitr(
            Config config,
            Repository repo,
            PgTools tools,
            String dir,
            String command,
            RestoreTarget target,
            String check,
            String want) {
        long[] started = {0};
        Writer log = new Writer() {
            @Override
            public void write(char[] c, int off, int len) {
                if (started[0] == 0 && new String(c, off, len).contains("replaying WAL")) {
                    started[0] = System.nanoTime();
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        long t0 = System.nanoTime();
        double total = b.timedRestore(config, repo, tools, dir, command, target, log, c -> verify(c, check, want, dir));
        double replay = total - (started[0] - t0) / 1e9;
        b.say(String.format("  %s: %.2f s, of which replay %.2f s", dir, total, replay));
        return new double[] {total, replay};
    }

    /** A pitr restore as the operator runs it, {@code pitr restore --to}, in its own process (for its memory). */
    private double[] timedPitrCli(Path yaml, PgTools tools, Instant target, String check, String want)
            throws Exception {
        Path dir = base.resolve("restore-pitr");
        int port = LocalCluster.freePort();
        List<String> cmd = java("restore", null, yaml);
        cmd.addAll(
                List.of("--to", target.toString(), "--target-dir", dir.toString(), "--port", Integer.toString(port)));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Rss rss = new Rss(p.pid());
        long started = 0;
        StringBuilder out = new StringBuilder();
        try (var lines =
                new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                out.append(line).append('\n');
                if (started == 0 && line.contains("replaying WAL")) {
                    started = System.nanoTime();
                }
            }
        }
        int rc = p.waitFor();
        double total = seconds(t0);
        rss.stop();
        restoreRssMb = rss.peakMb();
        LocalCluster restored = LocalCluster.existing(tools, dir, port);
        try {
            if (rc != 0) {
                throw new IllegalStateException("pitr restore failed (exit " + rc + "):\n" + out);
            }
            verify(restored, check, want, "restore-pitr");
        } finally {
            restored.stop();
        }
        double replay = total - (started - t0) / 1e9;
        b.say(String.format("  restore-pitr: %.2f s, of which replay %.2f s", total, replay));
        return new double[] {total, replay};
    }

    /**
     * The recovery point while pgbench runs with its defaults (synchronous commit) for {@code seconds}: every 100 ms,
     * how old the newest archived WAL byte is, for pitr (its catalog) and pgBackRest (PostgreSQL's archiver), from
     * when the primary had written that far. Zero when the archive holds everything written.
     */
    private void rpo(Repository repo, PgTools tools, int port, int seconds) throws Exception {
        b.say("recovery point: pgbench for " + seconds
                + " s (synchronous commit, archive_timeout off), sampled every 100 ms");
        Process bench = new ProcessBuilder(
                        pgbench(tools, port, "-n", "-T", Integer.toString(seconds), "-c", "4", "-j", "2"))
                .redirectErrorStream(true)
                .redirectOutput(base.resolve("pgbench-rpo.log").toFile())
                .start();
        List<long[]> written = new ArrayList<>();
        List<Double> pitr = new ArrayList<>();
        List<Double> pgbr = new ArrayList<>();
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", props)) {
            Thread.sleep(2000);
            long pgbrEnd = 0;
            while (bench.isAlive()) {
                long now = System.nanoTime();
                try (ResultSet r = c.createStatement()
                        .executeQuery("SELECT pg_current_wal_lsn() - '0/0', last_archived_wal FROM pg_stat_archiver")) {
                    r.next();
                    written.add(new long[] {now, r.getLong(1)});
                    String lastPgbr = r.getString(2);
                    // a .history name may be the last one archived; then the last segment seen still counts
                    if (lastPgbr != null
                            && lastPgbr.length() >= 24
                            && SegmentName.isSegmentFileName(lastPgbr.substring(0, 24))) {
                        pgbrEnd = SegmentName.parse(lastPgbr.substring(0, 24), SEG)
                                .endLsn()
                                .value();
                    }
                    // complete segments, and the segment being written as far as it was shipped
                    long pitrEnd = Math.max(
                            repo.catalog().allSegments().stream()
                                    .mapToLong(x -> x.endLsn().value())
                                    .max()
                                    .orElse(0),
                            repo.catalog().partials().stream()
                                    .mapToLong(x -> x.endLsn().value())
                                    .max()
                                    .orElse(0));
                    pitr.add(age(written, now, pitrEnd));
                    pgbr.add(age(written, now, pgbrEnd));
                }
                Thread.sleep(Math.max(1, 100 - (System.nanoTime() - now) / 1_000_000));
            }
        }
        results.put(
                "rpo",
                Map.of(
                        "samples",
                        pitr.size(),
                        "interval_ms",
                        100,
                        "load",
                        "pgbench -c 4 -j 2, synchronous commit",
                        "pitr",
                        percentiles(pitr),
                        "pgbackrest",
                        percentiles(pgbr),
                        "what",
                        "age of the newest archived WAL byte; pitr: capture from the slot, complete segments and the one being"
                                + " written as shipped; pgBackRest: archive_command, complete segments"));
        Map<String, Double> a = percentiles(pitr);
        Map<String, Double> g = percentiles(pgbr);
        rows.add(new String[] {
            "recovery point under pgbench: p50 / p99 / max",
            fmt(a.get("p50")) + " / " + fmt(a.get("p99")) + " / " + fmt(a.get("max")) + " s",
            fmt(g.get("p50")) + " / " + fmt(g.get("p99")) + " / " + fmt(g.get("max")) + " s",
            "",
            ""
        });
    }

    /** Seconds since the primary had first written up to {@code archivedEnd}; 0 when nothing newer was written. */
    static double age(List<long[]> written, long now, long archivedEnd) {
        long[] latest = written.get(written.size() - 1);
        if (archivedEnd >= latest[1]) {
            return 0;
        }
        for (long[] w : written) {
            if (w[1] >= archivedEnd) {
                return (now - w[0]) / 1e9;
            }
        }
        return (now - written.get(0)[0]) / 1e9;
    }

    static Map<String, Double> percentiles(List<Double> v) {
        List<Double> sorted = v.stream().sorted().toList();
        java.util.function.IntFunction<Double> at = i -> sorted.get(Math.min(sorted.size() - 1, i));
        return Map.of(
                "p50",
                at.apply(sorted.size() / 2),
                "p99",
                at.apply((int) Math.ceil(sorted.size() * 0.99) - 1),
                "max",
                sorted.get(sorted.size() - 1));
    }

    /** {@code pitr --config yaml} and the command, through the ./pitr launcher (its JVM options) when there is one. */
    static List<String> java(String verb, String noun, Path yaml) {
        Path launcher = Path.of(System.getProperty("pitr.home", "."), "pitr");
        Path jar = Benchmarks.pitrJar();
        List<String> cmd = new ArrayList<>(
                Files.isExecutable(launcher)
                        ? List.of(launcher.toString())
                        : List.of("java", "-XX:+UseSerialGC", "-jar", jar.toString()));
        cmd.addAll(List.of("--config", yaml.toString(), verb));
        if (noun != null) {
            cmd.add(noun);
        }
        return cmd;
    }

    /** The peak resident memory of a process, from the kernel's high-water mark, read until it ends. */
    private static final class Rss {
        private final long pid;
        private final Thread thread;
        private volatile long peakKb;
        private volatile boolean stopped;

        Rss(long pid) {
            this.pid = pid;
            this.thread = new Thread(this::poll, "rss-" + pid);
            thread.setDaemon(true);
            thread.start();
        }

        private void poll() {
            Path status = Path.of("/proc", Long.toString(pid), "status");
            while (!stopped) {
                try {
                    for (String line : Files.readAllLines(status)) {
                        if (line.startsWith("VmHWM:")) {
                            peakKb = Math.max(peakKb, Long.parseLong(line.replaceAll("[^0-9]", "")));
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    return; // the process is gone
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stop() throws InterruptedException {
            stopped = true;
            thread.join(1000);
        }

        long peakMb() {
            return peakKb / 1024;
        }
    }

    private double[] timedPgbackrest(PgTools tools, Path conf, int port, Instant target, String check, String want)
            throws Exception {
        Path dir = base.resolve("restore-pgbackrest");
        Files.createDirectory(
                dir,
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        Processes.run(List.of("chown", tools.osUser() + ":", dir.toString()));
        long t0 = System.nanoTime();
        pgbackrest(
                tools,
                conf,
                STANZA,
                "restore",
                "--pg1-path=" + dir,
                "--type=time",
                "--target=" + target.toString().replace('T', ' ').replace("Z", "+00"),
                "--target-action=promote",
                "--archive-mode=off");
        long t1 = System.nanoTime();
        run(
                tools.asPostgres(
                        "pg_ctl",
                        "-D",
                        dir.toString(),
                        "-l",
                        dir.resolve("restore.log").toString(),
                        "-o",
                        "-p " + port,
                        "-W",
                        "start"),
                "pg_ctl start");
        LocalCluster restored = LocalCluster.existing(tools, dir, port);
        try {
            while (!promoted(port)) {
                Thread.sleep(50);
            }
            double total = seconds(t0);
            double replay = seconds(t1);
            verify(restored, check, want, "restore-pgbackrest");
            b.say(String.format("  restore-pgbackrest: %.2f s, of which replay %.2f s", total, replay));
            return new double[] {total, replay};
        } finally {
            restored.stop();
        }
    }

    private static boolean promoted(int port) {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("connectTimeout", "2");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
                ResultSet r = c.createStatement().executeQuery("SELECT NOT pg_is_in_recovery()")) {
            return r.next() && r.getBoolean(1);
        } catch (java.sql.SQLException e) {
            return false; // not up yet, or still starting
        }
    }

    private static void verify(LocalCluster c, String check, String want, String what) {
        String got = c.queryOne(check);
        if (!got.equals(want)) {
            throw new IllegalStateException(what + " restored " + got + " (rows, no later table), expected " + want);
        }
    }

    /**
     * The same segments shipped three ways: pitr's capture path (a spool shipped with wal.ship_parallelism uploads in
     * flight), and pitr's and pgBackRest's (asynchronous) archive_command, each driven as PostgreSQL's archiver drives
     * it: every segment marked ready, one call per segment in order, each .ready renamed .done after its call returns.
     */
    private void shipping(Config config, PgTools tools, LocalCluster primary, Path source, int n, Path sock)
            throws Exception {
        long bytes = n * SEG;
        b.say("shipping " + n + " segments (" + (bytes >> 20) + " MB) of the same WAL");
        // pgBackRest: a data directory with only pg_control (what archive-push checks) and the segments in pg_wal
        Path pg = ownedByPostgres(tools, base.resolve("ship-pg"));
        Path pgWal = Files.createDirectories(pg.resolve("pg_wal/archive_status"));
        Files.createDirectories(pg.resolve("global"));
        Files.copy(primary.dataDir().resolve("global/pg_control"), pg.resolve("global/pg_control"));
        List<Path> segs;
        try (Stream<Path> s = Files.list(source)) {
            segs = s.sorted().toList();
        }
        for (Path f : segs) {
            Files.copy(f, pg.resolve("pg_wal").resolve(f.getFileName()));
            Files.writeString(pgWal.resolve(f.getFileName() + ".ready"), "");
        }
        Processes.run(List.of("chown", "-R", tools.osUser() + ":", pg.toString()));
        Path conf = pgbackrestConf(tools, "pgbr-ship", "ship", pg, primary.port(), sock);
        pgbackrest(tools, conf, "ship", "stanza-create", "--no-online");
        long t0 = System.nanoTime();
        for (Path f : segs) {
            pgbackrest(
                    tools,
                    conf,
                    "ship",
                    "archive-push",
                    pg.resolve("pg_wal").resolve(f.getFileName()).toString());
            Files.move(pgWal.resolve(f.getFileName() + ".ready"), pgWal.resolve(f.getFileName() + ".done"));
        }
        double pgbr = seconds(t0);

        // pitr as capture ships: the spool, wal.ship_parallelism at once, in a running process
        Path spool = Files.createDirectories(base.resolve("ship-spool"));
        for (Path f : segs) {
            Files.copy(f, spool.resolve(f.getFileName()));
        }
        Config syncConfig = shipConfig(config, "ship-sync");
        double sync;
        try (Repository repo = Repository.open(syncConfig, false)) {
            long t1 = System.nanoTime();
            new WalShipper(repo, Clock.systemUTC(), syncConfig.requireInt(Key.WAL_SHIP_PARALLELISM)).shipSpool(spool);
            sync = seconds(t1);
        }

        // pitr as archive_command, driven the same way: docs/operating.md's command in a data directory of its own
        Path pitrPg = Files.createDirectories(base.resolve("ship-pitr"));
        Path pitrStatus = Files.createDirectories(pitrPg.resolve("pg_wal/archive_status"));
        for (Path f : segs) {
            Files.copy(f, pitrPg.resolve("pg_wal").resolve(f.getFileName()));
            Files.writeString(pitrStatus.resolve(f.getFileName() + ".ready"), "");
        }
        Path yaml = base.resolve("ship-push.yaml");
        Files.writeString(
                yaml,
                "storage:\n  path: " + base.resolve("repo-ship-push") + "\ncatalog:\n  path: "
                        + base.resolve("catalog-ship-push.db") + "\nencryption:\n  mode: key-file\n  key_file: "
                        + config.require(Key.ENCRYPTION_KEY_FILE) + "\n");
        Path jar = Benchmarks.pitrJar();
        run(List.of("java", "-jar", jar.toString(), "--config", yaml.toString(), "init", "--create"), "pitr init");
        // the JVM as ./pitr starts it: a call that pushes ahead ships many segments and wants the full JIT
        String archiveCommand = WalShipper.archiveCommand("java -XX:+UseSerialGC -jar " + jar + " --config " + yaml);
        long t2 = System.nanoTime();
        for (Path f : segs) {
            String name = f.getFileName().toString();
            Processes.Result r = Processes.run(List.of(
                    "/bin/sh",
                    "-c",
                    "cd " + pitrPg + " && " + archiveCommand.replace("%f", name).replace("%p", "pg_wal/" + name)));
            if (!r.ok()) {
                throw new IllegalStateException("archive_command failed for " + name + ": " + r.output());
            }
            Files.move(pitrStatus.resolve(name + ".ready"), pitrStatus.resolve(name + ".done"));
        }
        double push = seconds(t2);
        results.put(
                "shipping",
                Map.of(
                        "segments",
                        n,
                        "bytes",
                        bytes,
                        "compression",
                        "zstd level 3",
                        "encryption",
                        "on",
                        "pitr_capture",
                        rates(
                                sync,
                                n,
                                bytes,
                                "spool shipped by the capture path, wal.ship_parallelism="
                                        + syncConfig.require(Key.WAL_SHIP_PARALLELISM)),
                        "pitr_archive_command",
                        rates(
                                push,
                                n,
                                bytes,
                                "archive_command as docs/operating.md gives it (pitr wal push ships the ready files ahead), one call per segment"),
                        "pgbackrest",
                        rates(pgbr, n, bytes, "archive-push, archive-async=y, process-max=2, one call per segment"),
                        "ratio_segments_per_second_pitr_capture_to_pgbackrest",
                        pgbr / sync,
                        "ratio_segments_per_second_pitr_archive_command_to_pgbackrest",
                        pgbr / push));
        rows.add(new String[] {
            "shipping: capture path",
            fmt(n / sync) + " seg/s, " + fmt((bytes >> 20) / sync) + " MB/s",
            fmt(n / pgbr) + " seg/s, " + fmt((bytes >> 20) / pgbr) + " MB/s",
            "",
            fmt(pgbr / sync) + " (pitr/pgBackRest)"
        });
        rows.add(new String[] {
            "shipping: archive_command (pitr wal push, pushing ahead)",
            fmt(n / push) + " seg/s, " + fmt((bytes >> 20) / push) + " MB/s",
            fmt(n / pgbr) + " seg/s, " + fmt((bytes >> 20) / pgbr) + " MB/s",
            "",
            fmt(pgbr / push) + " (pitr/pgBackRest)"
        });
    }

    private Config shipConfig(Config config, String run) {
        Map<Key, String> m = new java.util.EnumMap<>(Key.class);
        for (Key k : Key.values()) {
            config.get(k).ifPresent(v -> m.put(k, v));
        }
        m.put(Key.STORAGE_PATH, base.resolve("repo-" + run).toString());
        m.put(Key.CATALOG_PATH, base.resolve("catalog-" + run + ".db").toString());
        Config c = Config.of(base.resolve("pitr-" + run + ".yaml"), m);
        dev.pitr.config.RepositorySetup.ensure(c, true);
        return c;
    }

    private static Map<String, Object> rates(double seconds, int n, long bytes, String what) {
        return Map.of(
                "seconds",
                seconds,
                "segments_per_second",
                n / seconds,
                "mb_per_second",
                (bytes >> 20) / seconds,
                "what",
                what);
    }

    /** A pgBackRest configuration for {@code stanza} with its repository, spool, lock and log under {@code name}. */
    private Path pgbackrestConf(PgTools tools, String name, String stanza, Path pgPath, int port, Path sock)
            throws IOException {
        Path dir = ownedByPostgres(tools, base.resolve(name));
        byte[] pass = new byte[24];
        new java.security.SecureRandom().nextBytes(pass);
        String conf = "[global]\nrepo1-path=" + dir.resolve("repo")
                + "\nrepo1-cipher-type=aes-256-cbc\nrepo1-cipher-pass="
                + java.util.Base64.getEncoder().encodeToString(pass) + "\nrepo1-retention-full=2\ncompress-type=zst\n"
                + "compress-level=3\nprocess-max=2\narchive-async=y\nspool-path=" + dir.resolve("spool")
                + "\nlock-path="
                + dir.resolve("lock") + "\nlog-path=" + dir.resolve("log")
                + "\nlog-level-console=warn\nlog-level-file=info\n"
                + "start-fast=y\narchive-timeout=300\n\n[" + stanza + "]\npg1-path=" + pgPath + "\npg1-port=" + port
                + "\npg1-socket-path=" + sock + "\n";
        Path file = dir.resolve("pgbackrest.conf");
        Files.writeString(file, conf);
        Processes.run(List.of("chown", "-R", tools.osUser() + ":", dir.toString()));
        Processes.run(List.of("chmod", "600", file.toString()));
        return file;
    }

    private static void pgbackrest(PgTools tools, Path conf, String stanza, String command, String... args) {
        List<String> cmd = new ArrayList<>(List.of("pgbackrest", "--config=" + conf, "--stanza=" + stanza, command));
        cmd.addAll(List.of(args));
        run(OsUser.as(tools.osUser(), cmd), "pgbackrest " + command);
    }

    /** {@code pgbench -i -s scale} against the server on {@code port}, run by {@code tools}' pgbench. */
    static void pgbenchInit(PgTools tools, int port, int scale) {
        run(pgbench(tools, port, "-i", "-q", "-s", Integer.toString(scale)), "pgbench -i");
    }

    /** pgbench with {@code args}, run by {@code tools}' pgbench against the server on {@code port} of this host. */
    static List<String> pgbench(PgTools tools, int port, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "postgres"));
        return tools.asPostgres("pgbench", all.toArray(String[]::new));
    }

    static void run(List<String> cmd, String what) {
        Processes.Result r = Processes.run(cmd);
        if (!r.ok()) {
            throw new IllegalStateException(
                    what + " failed (exit " + r.exitCode() + "): " + r.output().strip());
        }
    }

    private static Path ownedByPostgres(PgTools tools, Path dir) throws IOException {
        Files.createDirectories(dir);
        Processes.run(List.of("chown", tools.osUser() + ":", dir.toString()));
        return dir;
    }

    private static long du(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static String fmt(double v) {
        return String.format("%.2f", v);
    }

    private void print() {
        b.say("");
        b.say("| measure | pitr | pgBackRest 2.45 | cp floor | ratio |");
        b.say("|---|---|---|---|---|");
        for (String[] r : rows) {
            b.say("| " + String.join(" | ", r) + " |");
        }
    }
}
