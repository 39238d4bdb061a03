package dev.pitr.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.pitr.aws.S3ProxyServer;
import dev.pitr.backup.SnapshotService;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Processes;
import dev.pitr.postgres.Shell;
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
    private int rounds = 3;

    /** The pgBackRest program run: a name found on PATH, or a path. */
    private final String pgbackrestProgram;

    PeerBenchmark(Benchmarks b, Path base, String pgbackrestProgram) {
        this.b = b;
        this.base = base;
        this.pgbackrestProgram = pgbackrestProgram;
    }

    void run(int scale, int segments, int rounds, Path json) throws Exception {
        this.rounds = rounds;
        b.reset();
        String version =
                Processes.run(List.of(pgbackrestProgram, "version")).output().strip();
        if (!version.startsWith("pgBackRest")) {
            throw new IllegalStateException(
                    pgbackrestProgram + " is not pgBackRest (bench/run.sh installs Debian's package): " + version);
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
                        "local disk for both repositories",
                        "rounds",
                        rounds));
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
                            + "archive_command = '" + pgbackrestProgram + " --config=" + pgbrConf + " --stanza="
                            + STANZA
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
            shipping(
                    config,
                    tools,
                    primary,
                    shipSource,
                    sock,
                    (s3, into) -> s3Restores(config, repo, tools, pgbrConf, port, target, expectedRows, s3));
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

    /** {@code rounds} full snapshots of each tool in turn, pitr first in each round. */
    private void snapshot(Repository repo, PgTools tools, LocalCluster primary, Path pgbrConf) throws Exception {
        long dbBytes = Long.parseLong(primary.queryOne("SELECT pg_database_size('postgres')"));
        Rounds r = new Rounds();
        long pitrStored = 0;
        long clientStored = 0;
        long pgbrBytes = 0;
        for (int i = 0; i < rounds; i++) {
            String label = "bench-" + i;
            SnapshotRecord[] snap = {null};
            // compressed here, then pgBackRest, then the default (on the server): the newest, which the restores use
            timed(
                    r,
                    "client",
                    () -> snap[0] = snapshotService(repo, tools, primary)
                            .compression(SnapshotService.Compression.CLIENT)
                            .create(label + "-client"));
            clientStored = snap[0].storedSize();
            timed(r, "pgbackrest", () -> pgbackrest(tools, pgbrConf, STANZA, "backup", "--type=full"));
            pgbrBytes = newestBackupBytes();
            timed(
                    r,
                    "pitr",
                    () -> snap[0] = snapshotService(repo, tools, primary).create(label));
            pitrStored = snap[0].storedSize();
            b.say(String.format(
                    java.util.Locale.ROOT,
                    "  snapshot round %d: pitr %.2f s (compressed here: %.2f s), pgBackRest %.2f s",
                    i + 1,
                    r.last("pitr"),
                    r.last("client"),
                    r.last("pgbackrest")));
        }
        double ratio = r.median("pitr") / r.median("pgbackrest");
        double clientRatio = r.median("client") / r.median("pgbackrest");
        results.put(
                "snapshot",
                Map.of(
                        "database_bytes",
                        dbBytes,
                        "pitr",
                        Map.of(
                                "seconds",
                                r.json("pitr"),
                                "cpu_seconds",
                                r.json("pitr cpu"),
                                "stored_bytes",
                                pitrStored,
                                "compression",
                                "snapshot.compression: auto (on the server)"),
                        "pitr_client",
                        Map.of(
                                "seconds",
                                r.json("client"),
                                "cpu_seconds",
                                r.json("client cpu"),
                                "stored_bytes",
                                clientStored,
                                "compression",
                                "snapshot.compression: client"),
                        "pgbackrest",
                        Map.of(
                                "seconds",
                                r.json("pgbackrest"),
                                "cpu_seconds",
                                r.json("pgbackrest cpu"),
                                "stored_bytes",
                                pgbrBytes,
                                "options",
                                "backup --type=full, process-max=2"),
                        "ratio_time_pitr_to_pgbackrest",
                        ratio,
                        "ratio_time_pitr_client_to_pgbackrest",
                        clientRatio));
        rows.add(new String[] {
            "snapshot of " + (dbBytes >> 20) + " MB (compressed on the server, the default): time, s",
            r.show("pitr"),
            r.show("pgbackrest"),
            "",
            fmt(ratio)
        });
        rows.add(new String[] {"snapshot: machine CPU, s", r.show("pitr cpu"), r.show("pgbackrest cpu"), "", ""});
        rows.add(new String[] {"snapshot: stored", (pitrStored >> 20) + " MB", (pgbrBytes >> 20) + " MB", "", ""});
        rows.add(new String[] {
            "snapshot compressed here (snapshot.compression: client): time, s / machine CPU, s / stored",
            r.show("client") + " / " + r.show("client cpu") + " / " + (clientStored >> 20) + " MB",
            "",
            "",
            fmt(clientRatio)
        });
    }

    /** Snapshots as the benchmark takes them: of its primary, its log discarded. */
    private static SnapshotService snapshotService(Repository repo, PgTools tools, LocalCluster primary) {
        return new SnapshotService(
                repo,
                tools,
                primary.primary(),
                Clock.systemUTC(),
                Duration.ofMinutes(5),
                new PrintWriter(new StringWriter()));
    }

    /** The size of pgBackRest's newest full backup in its repository. */
    private long newestBackupBytes() throws IOException {
        Path dir = base.resolve("pgbr/repo/backup").resolve(STANZA);
        try (Stream<Path> s = Files.list(dir)) {
            Path newest = s.filter(p -> p.getFileName().toString().endsWith("F"))
                    .max(java.util.Comparator.comparing(p -> p.getFileName().toString()))
                    .orElseThrow();
            return du(newest);
        }
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
                + " pgbench_history rows; " + rounds + " rounds of the cp floor, pitr and pgBackRest in turn");
        Path cpScript = b.cpFetchScript(repo);
        Rounds r = new Rounds();
        for (int i = 1; i <= rounds; i++) {
            settle();
            double c0 = Rounds.machineCpuSeconds();
            double[] floor = timedPitr(config, repo, tools, "restore-cp-" + i, cpScript.toString(), t, check, want);
            record(r, "floor", floor, Rounds.machineCpuSeconds() - c0);
            removed(base.resolve("restore-cp-" + i));
            settle();
            double c1 = Rounds.machineCpuSeconds();
            double[] pitr = timedPitrCli(yaml, tools, base.resolve("restore-pitr-" + i), target, check, want);
            record(r, "pitr", pitr, Rounds.machineCpuSeconds() - c1);
            removed(base.resolve("restore-pitr-" + i));
            settle();
            double c2 = Rounds.machineCpuSeconds();
            double[] pgbr = timedPgbackrest(
                    tools, pgbrConf, port, base.resolve("restore-pgbackrest-" + i), target, check, want);
            record(r, "pgbackrest", pgbr, Rounds.machineCpuSeconds() - c2);
            removed(base.resolve("restore-pgbackrest-" + i));
        }
        double totalRatio = r.median("pitr total") / r.median("pgbackrest total");
        double floorRatio = r.median("pitr total") / r.median("floor total");
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
                                r.json("floor total"),
                                "replay_seconds",
                                r.json("floor replay"),
                                "cpu_seconds",
                                r.json("floor cpu"),
                                "what",
                                "pitr's snapshot laid down, restore_command = cp from a directory of plain segments, no prefetch"),
                        "pitr",
                        Map.of(
                                "seconds",
                                r.json("pitr total"),
                                "replay_seconds",
                                r.json("pitr replay"),
                                "cpu_seconds",
                                r.json("pitr cpu"),
                                "what",
                                "pitr restore --to, its own process",
                                "prefetch_parallelism",
                                config.require(Key.RESTORE_PREFETCH_PARALLELISM),
                                "prefetch_mb",
                                config.require(Key.RESTORE_PREFETCH_MB)),
                        "pgbackrest",
                        Map.of(
                                "seconds",
                                r.json("pgbackrest total"),
                                "replay_seconds",
                                r.json("pgbackrest replay"),
                                "cpu_seconds",
                                r.json("pgbackrest cpu"),
                                "options",
                                "restore --type=time, archive-async=y, process-max=2"),
                        "ratio_total_pitr_to_floor",
                        floorRatio,
                        "ratio_total_pitr_to_pgbackrest",
                        totalRatio));
        rows.add(new String[] {
            "restore to a time: replay, s",
            r.show("pitr replay"),
            r.show("pgbackrest replay"),
            r.show("floor replay"),
            fmt(r.median("pitr replay") / r.median("floor replay")) + " (pitr/floor), "
                    + fmt(r.median("pgbackrest replay") / r.median("floor replay")) + " (pgBackRest/floor)"
        });
        rows.add(new String[] {
            "restore to a time: total (snapshot + replay), s",
            r.show("pitr total"),
            r.show("pgbackrest total"),
            r.show("floor total"),
            fmt(totalRatio) + " (pitr/pgBackRest), " + fmt(floorRatio) + " (pitr/floor)"
        });
        rows.add(new String[] {
            "restore: machine CPU, s", r.show("pitr cpu"), r.show("pgbackrest cpu"), r.show("floor cpu"), ""
        });
    }

    /**
     * The restore to the same time target from S3Proxy (over TLS, on this machine): each tool's repository as the local
     * rounds left it, copied object by object into a bucket (pitr's with each object's metadata, its catalog copied
     * beside; pgBackRest's files under the same paths), then {@code rounds} rounds of pitr and pgBackRest in turn.
     */
    private void s3Restores(
            Config config,
            Repository repo,
            PgTools tools,
            Path pgbrConf,
            int port,
            Instant target,
            long expectedRows,
            S3ProxyServer s3)
            throws Exception {
        String check = "SELECT count(*) || ',' || (to_regclass('after_target') IS NULL) FROM pgbench_history";
        String want = expectedRows + ",true";
        // the restore's JVM and restore_command's read the certificate: the server's OS user too
        Path trust = Files.copy(
                s3.keystore(), base.resolve("s3proxy-trust.jks"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Processes.run(List.of("chmod", "644", trust.toString()));
        String trustOpts = "-Djavax.net.ssl.trustStore=" + trust + " -Djavax.net.ssl.trustStorePassword="
                + S3ProxyServer.KEYSTORE_PASSWORD;
        Map<Key, String> m = Benchmarks.settings(config);
        m.putAll(s3Storage(s3, "restore"));
        Path catalog = base.resolve("catalog-restore-s3.db");
        for (String suffix : List.of("", "-wal")) {
            Path f = Path.of(config.catalogPath() + suffix);
            if (Files.exists(f)) {
                Files.copy(f, Path.of(catalog + suffix), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        m.put(Key.CATALOG_PATH, catalog.toString());
        m.put(
                Key.RESTORE_PITR_COMMAND,
                config.require(Key.RESTORE_PITR_COMMAND).replace(" -jar ", " " + trustOpts + " -jar "));
        Config c = Config.of(base.resolve("pitr-restore-s3.yaml"), m);
        long t0 = System.nanoTime();
        long objects = 0;
        try (Repository into = Repository.open(c, true)) {
            for (String key : repo.storage().list("")) {
                Map<String, String> meta = repo.storage().metadata(key);
                try (var in = repo.storage().open(key)) {
                    into.storage().put(key, meta, in::transferTo);
                }
                objects++;
            }
        }
        Path yaml = Benchmarks.writeYaml(c);
        Path pgbrRepo = base.resolve("pgbr/repo");
        long files = 0;
        try (software.amazon.awssdk.services.s3.S3Client client = s3.client();
                Stream<Path> all = Files.walk(pgbrRepo)) {
            for (Path f : all.filter(Files::isRegularFile).toList()) {
                client.putObject(
                        r -> r.bucket(PGBR_BUCKET).key("restore/" + pgbrRepo.relativize(f)),
                        software.amazon.awssdk.core.sync.RequestBody.fromFile(f));
                files++;
            }
        }
        Path conf = base.resolve("pgbr-restore-s3.conf");
        Files.writeString(conf, inS3(Files.readString(pgbrConf), "/restore", s3));
        Processes.run(List.of("chown", tools.osUser() + ":", conf.toString()));
        Processes.run(List.of("chmod", "600", conf.toString()));
        b.say(String.format(
                java.util.Locale.ROOT,
                "restoring to %s from S3Proxy over TLS (%s): %d objects of pitr's and %d files of pgBackRest's"
                        + " repository copied in %.1f s; %d rounds of pitr and pgBackRest in turn",
                target,
                s3.secureEndpoint(),
                objects,
                files,
                seconds(t0),
                rounds));
        Map<String, String> env = Map.of("PITR_JAVA_OPTS", "-XX:+UseSerialGC " + trustOpts);
        Rounds r = new Rounds();
        for (int i = 1; i <= rounds; i++) {
            settle();
            double c1 = Rounds.machineCpuSeconds();
            double[] pitr = timedPitrCli(yaml, env, tools, base.resolve("restore-s3-pitr-" + i), target, check, want);
            record(r, "pitr", pitr, Rounds.machineCpuSeconds() - c1);
            removed(base.resolve("restore-s3-pitr-" + i));
            settle();
            double c2 = Rounds.machineCpuSeconds();
            double[] pgbr =
                    timedPgbackrest(tools, conf, port, base.resolve("restore-s3-pgbackrest-" + i), target, check, want);
            record(r, "pgbackrest", pgbr, Rounds.machineCpuSeconds() - c2);
            removed(base.resolve("restore-s3-pgbackrest-" + i));
        }
        double totalRatio = r.median("pitr total") / r.median("pgbackrest total");
        results.put(
                "restore_s3",
                Map.of(
                        "target",
                        target.toString(),
                        "storage",
                        "S3Proxy (filesystem backend) over TLS on this machine; each repository copied in",
                        "pitr",
                        restoreFigures(r, "pitr"),
                        "pgbackrest",
                        restoreFigures(r, "pgbackrest"),
                        "ratio_total_pitr_to_pgbackrest",
                        totalRatio));
        rows.add(new String[] {
            "restore to a time from S3Proxy: replay, s",
            r.show("pitr replay"),
            r.show("pgbackrest replay"),
            "",
            fmt(r.median("pitr replay") / r.median("pgbackrest replay"))
        });
        rows.add(new String[] {
            "restore to a time from S3Proxy: total (snapshot + replay), s",
            r.show("pitr total"),
            r.show("pgbackrest total"),
            "",
            fmt(totalRatio)
        });
        rows.add(new String[] {
            "restore from S3Proxy: machine CPU, s", r.show("pitr cpu"), r.show("pgbackrest cpu"), "", ""
        });
    }

    /** A restore's rounds as the JSON gives them: total, replay and machine CPU seconds of {@code who}. */
    private static Map<String, Object> restoreFigures(Rounds r, String who) {
        return Map.of(
                "seconds",
                r.json(who + " total"),
                "replay_seconds",
                r.json(who + " replay"),
                "cpu_seconds",
                r.json(who + " cpu"));
    }

    /**
     * Removes a restored copy as soon as it was checked, so that each restore starts from the same state of disk and
     * page cache: with the copies of a round kept to its end, the second restore of a round laid its copy down in twice
     * the time the first took (2.3 and 4.6 s, the same restore one after the other).
     */
    private static void removed(Path dir) {
        run(List.of("rm", "-rf", dir.toString()), "rm " + dir.getFileName());
    }

    /** A phase of a round that may fail. */
    private interface Phase {
        void run() throws Exception;
    }

    /**
     * Runs {@code phase} after {@link #settle}, adding its wall seconds to {@code r} as {@code who} and the machine's
     * CPU seconds as {@code who + " cpu"}.
     */
    private static void timed(Rounds r, String who, Phase phase) throws Exception {
        settle();
        double c0 = Rounds.machineCpuSeconds();
        long t0 = System.nanoTime();
        phase.run();
        r.add(who, seconds(t0));
        r.add(who + " cpu", Rounds.machineCpuSeconds() - c0);
    }

    /**
     * Writes back what the page cache holds dirty before a timed phase, so that no phase pays for the writes of the one
     * before it (a restore's 1.5 GB flushed while the next one lays its copy down).
     */
    private static void settle() {
        run(List.of("sync"), "sync");
    }

    private static void record(Rounds r, String who, double[] totalAndReplay, double cpu) {
        r.add(who + " total", totalAndReplay[0]);
        r.add(who + " replay", totalAndReplay[1]);
        r.add(who + " cpu", cpu);
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
    private double[] timedPitrCli(Path yaml, PgTools tools, Path dir, Instant target, String check, String want)
            throws Exception {
        return timedPitrCli(yaml, Map.of(), tools, dir, target, check, want);
    }

    /** {@code pitr restore --to target} in its own process, with {@code env} added to its environment. */
    private double[] timedPitrCli(
            Path yaml, Map<String, String> env, PgTools tools, Path dir, Instant target, String check, String want)
            throws Exception {
        int port = LocalCluster.freePort();
        List<String> cmd = java("restore", null, yaml);
        cmd.addAll(
                List.of("--to", target.toString(), "--target-dir", dir.toString(), "--port", Integer.toString(port)));
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        Rss rss = new Rss(p.pid());
        long started = 0;
        long layingDown = 0;
        long laidDown = 0;
        StringBuilder out = new StringBuilder();
        try (var lines =
                new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                out.append(line).append('\n');
                if (started == 0 && line.contains("replaying WAL")) {
                    started = System.nanoTime();
                } else if (layingDown == 0 && line.startsWith("restoring snapshot")) {
                    layingDown = System.nanoTime();
                } else if (laidDown == 0 && line.startsWith("laid down")) {
                    laidDown = System.nanoTime();
                }
            }
        }
        int rc = p.waitFor();
        double total = seconds(t0);
        rss.stop();
        restoreRssMb = Math.max(restoreRssMb, rss.peakMb());
        LocalCluster restored = LocalCluster.existing(tools, dir, port);
        try {
            if (rc != 0) {
                throw new IllegalStateException("pitr restore failed (exit " + rc + "):\n" + out);
            }
            verify(restored, check, want, dir.getFileName().toString());
        } finally {
            restored.stop();
        }
        double replay = total - (started - t0) / 1e9;
        b.say(String.format(
                java.util.Locale.ROOT,
                "  %s: %.2f s, of which replay %.2f s (planned by %.2f s, laid down by %.2f s)",
                dir.getFileName(),
                total,
                replay,
                (layingDown - t0) / 1e9,
                (laidDown - t0) / 1e9));
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

    private double[] timedPgbackrest(
            PgTools tools, Path conf, int port, Path dir, Instant target, String check, String want) throws Exception {
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
            verify(restored, check, want, dir.getFileName().toString());
            b.say(String.format("  %s: %.2f s, of which replay %.2f s", dir.getFileName(), total, replay));
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
     * The same segments shipped three ways, in {@code rounds} interleaved rounds, each into a new repository: pitr's
     * capture path (a spool shipped with wal.ship_parallelism uploads in flight), and pitr's and pgBackRest's
     * (asynchronous) archive_command, each driven as PostgreSQL's archiver drives it: every segment marked ready, one
     * call per segment in order, each .ready renamed .done after its call returns. Beside the wall time, the machine's
     * CPU time per segment: pgBackRest's asynchronous process and pitr's JVMs alike.
     */
    private void shipping(Config config, PgTools tools, LocalCluster primary, Path source, Path sock, S3Phase first)
            throws Exception {
        List<Path> segs;
        try (Stream<Path> s = Files.list(source)) {
            segs = s.sorted().toList();
        }
        shipping(config, tools, primary, segs, sock, null);
        Path jar = Path.of(System.getProperty("pitr.home", "."), "aws/target/test-servers/s3proxy.jar");
        try (S3ProxyServer s3 = S3ProxyServer.start(jar, true)) {
            // both tools speak TLS to it; this process (capture's shipping) and pitr's own trust its certificate
            System.setProperty("javax.net.ssl.trustStore", s3.keystore().toString());
            System.setProperty("javax.net.ssl.trustStorePassword", S3ProxyServer.KEYSTORE_PASSWORD);
            s3.createBucket(PGBR_BUCKET);
            s3.createBucket(PITR_BUCKET);
            first.run(s3, "s3");
            shipping(config, tools, primary, segs, sock, s3);
        }
    }

    /** What runs against S3Proxy before its shipping rounds. */
    private interface S3Phase {
        void run(S3ProxyServer s3, String into) throws Exception;
    }

    private static final String PITR_BUCKET = "pitr-bench";
    private static final String PGBR_BUCKET = "pgbr-bench";

    /** The shipping rounds into local storage, or into {@code s3} (S3Proxy over TLS, on this machine) when not null. */
    private void shipping(
            Config config, PgTools tools, LocalCluster primary, List<Path> segs, Path sock, S3ProxyServer s3)
            throws Exception {
        int n = segs.size();
        long bytes = n * SEG;
        String where = s3 == null ? "" : "s3-";
        b.say("shipping " + n + " segments (" + (bytes >> 20) + " MB) of the same WAL"
                + (s3 == null ? "" : " into S3Proxy over TLS (" + s3.secureEndpoint() + ")") + ", " + rounds
                + " rounds");
        Rounds r = new Rounds();
        int parallelism = config.requireInt(Key.WAL_SHIP_PARALLELISM);
        if (s3 == null) {
            // an operator's first pitr command saves the launcher's class data archive; the rounds run as every
            // later one does
            shipPush(config, segs.subList(0, 2), "warm-up", null).run();
        }
        for (int i = 1; i <= rounds; i++) {
            String round = where + i;
            // each tool's repository made and the segments laid where it takes them from before its clock starts
            timed(r, "pgbackrest", shipPgbackrest(tools, primary, segs, sock, round, s3));
            timed(r, "capture", shipCapture(config, segs, round, s3));
            timed(r, "push", shipPush(config, segs, round, s3));
            b.say(String.format(
                    java.util.Locale.ROOT,
                    "  round %d: pgBackRest %.1f seg/s, pitr capture %.1f seg/s, pitr wal push %.1f seg/s",
                    i,
                    n / r.last("pgbackrest"),
                    n / r.last("capture"),
                    n / r.last("push")));
        }
        double capture = r.median("pgbackrest") / r.median("capture");
        double push = r.median("pgbackrest") / r.median("push");
        results.put(
                s3 == null ? "shipping" : "shipping_s3proxy",
                Map.of(
                        "segments",
                        n,
                        "bytes",
                        bytes,
                        "compression",
                        "zstd level 3",
                        "encryption",
                        "on",
                        "storage",
                        s3 == null ? "local disk" : "S3Proxy 4.1 (filesystem backend, this machine), HTTPS",
                        "pitr_capture",
                        rates(
                                r,
                                "capture",
                                n,
                                "spool shipped by the capture path, wal.ship_parallelism=" + parallelism),
                        "pitr_archive_command",
                        rates(
                                r,
                                "push",
                                n,
                                "archive_command as docs/operating.md gives it (pitr wal push ships the ready files ahead), one call per segment"),
                        "pgbackrest",
                        rates(r, "pgbackrest", n, "archive-push, archive-async=y, process-max=2, one call per segment"),
                        "ratio_segments_per_second_pitr_capture_to_pgbackrest",
                        capture,
                        "ratio_segments_per_second_pitr_archive_command_to_pgbackrest",
                        push));
        String into = s3 == null ? "shipping" : "shipping into S3Proxy (TLS)";
        rows.add(new String[] {
            into + ": capture path, seg/s", perSecond(r, "capture", n), perSecond(r, "pgbackrest", n), "", fmt(capture)
        });
        rows.add(new String[] {
            into + ": archive_command (pitr wal push, pushing ahead), seg/s",
            perSecond(r, "push", n),
            perSecond(r, "pgbackrest", n),
            "",
            fmt(push)
        });
        rows.add(new String[] {
            into + ": machine CPU per segment, ms (capture / wal push)",
            fmt(1000 * r.median("capture cpu") / n) + " / " + fmt(1000 * r.median("push cpu") / n),
            fmt(1000 * r.median("pgbackrest cpu") / n),
            "",
            ""
        });
    }

    /**
     * A pgBackRest configuration's text with its repository moved to {@code path} in S3Proxy's bucket for pgBackRest,
     * over TLS without verifying the run's own certificate (pgBackRest speaks S3 over TLS only).
     */
    private static String inS3(String conf, String path, S3ProxyServer s3) {
        return conf.replaceFirst(
                "repo1-path=[^\n]*\n",
                "repo1-type=s3\nrepo1-path=" + path + "\nrepo1-s3-bucket=" + PGBR_BUCKET
                        + "\nrepo1-s3-endpoint=127.0.0.1\nrepo1-storage-port="
                        + s3.secureEndpoint().getPort()
                        + "\nrepo1-s3-region=" + S3ProxyServer.REGION + "\nrepo1-s3-key=" + S3ProxyServer.ACCESS_KEY
                        + "\nrepo1-s3-key-secret=" + S3ProxyServer.SECRET_KEY
                        + "\nrepo1-s3-uri-style=path\nrepo1-storage-verify-tls=n\n");
    }

    /** pgBackRest's archive-push of {@code segs}: a data directory with only pg_control and the segments in pg_wal. */
    private Phase shipPgbackrest(
            PgTools tools, LocalCluster primary, List<Path> segs, Path sock, String round, S3ProxyServer s3)
            throws IOException {
        Path pg = ownedByPostgres(tools, base.resolve("ship-pg-" + round));
        Path pgWal = Files.createDirectories(pg.resolve("pg_wal/archive_status"));
        Files.createDirectories(pg.resolve("global"));
        Files.copy(primary.dataDir().resolve("global/pg_control"), pg.resolve("global/pg_control"));
        for (Path f : segs) {
            Files.copy(f, pg.resolve("pg_wal").resolve(f.getFileName()));
            Files.writeString(pgWal.resolve(f.getFileName() + ".ready"), "");
        }
        Processes.run(List.of("chown", "-R", tools.osUser() + ":", pg.toString()));
        Path conf = pgbackrestConf(tools, "pgbr-ship-" + round, "ship", pg, primary.port(), sock);
        if (s3 != null) {
            Files.writeString(conf, inS3(Files.readString(conf), "/" + round, s3));
        }
        pgbackrest(tools, conf, "ship", "stanza-create", "--no-online");
        return () -> {
            for (Path f : segs) {
                pgbackrest(
                        tools,
                        conf,
                        "ship",
                        "archive-push",
                        pg.resolve("pg_wal").resolve(f.getFileName()).toString());
                Files.move(pgWal.resolve(f.getFileName() + ".ready"), pgWal.resolve(f.getFileName() + ".done"));
            }
        };
    }

    /**
     * pitr as capture ships: the spool, wal.ship_parallelism at once, in this process, with the repository open (as a
     * running capture holds it).
     */
    private Phase shipCapture(Config config, List<Path> segs, String round, S3ProxyServer s3) throws IOException {
        Path spool = Files.createDirectories(base.resolve("ship-spool-" + round));
        for (Path f : segs) {
            Files.copy(f, spool.resolve(f.getFileName()));
        }
        Config syncConfig = shipConfig(config, "ship-sync-" + round, s3);
        Repository repo = Repository.open(syncConfig, false);
        return () -> {
            try (repo) {
                new WalShipper(repo, Clock.systemUTC(), syncConfig.requireInt(Key.WAL_SHIP_PARALLELISM))
                        .shipSpool(spool);
            }
        };
    }

    /** pitr as archive_command, driven as the archiver drives it: docs/operating.md's command. */
    private Phase shipPush(Config config, List<Path> segs, String round, S3ProxyServer s3) throws IOException {
        Path pitrPg = Files.createDirectories(base.resolve("ship-pitr-" + round));
        Path pitrStatus = Files.createDirectories(pitrPg.resolve("pg_wal/archive_status"));
        for (Path f : segs) {
            Files.copy(f, pitrPg.resolve("pg_wal").resolve(f.getFileName()));
            Files.writeString(pitrStatus.resolve(f.getFileName() + ".ready"), "");
        }
        Path yaml = base.resolve("ship-push-" + round + ".yaml");
        String storage = "storage:\n  path: " + base.resolve("repo-ship-push-" + round) + "\n";
        if (s3 != null) {
            storage = "storage:\n  type: s3\n  bucket: " + PITR_BUCKET + "\n  prefix: ship-push-" + round
                    + "\n  endpoint: " + s3.secureEndpoint() + "\naws:\n  access_key_id: " + S3ProxyServer.ACCESS_KEY
                    + "\n  secret_access_key: " + S3ProxyServer.SECRET_KEY + "\n";
        }
        Files.writeString(
                yaml,
                storage + "catalog:\n  path: "
                        + base.resolve("catalog-ship-push-" + round + ".db") + "\nencryption:\n  mode: key-file\n"
                        + "  key_file: " + config.require(Key.ENCRYPTION_KEY_FILE) + "\n");
        Path jar = Benchmarks.pitrJar();
        // S3Proxy's certificate, made for this run, trusted as an operator would trust a private CA's
        List<String> trust = s3 == null
                ? List.of()
                : List.of(
                        "-Djavax.net.ssl.trustStore=" + s3.keystore(),
                        "-Djavax.net.ssl.trustStorePassword=" + S3ProxyServer.KEYSTORE_PASSWORD);
        List<String> init = new ArrayList<>(List.of("java"));
        init.addAll(trust);
        init.addAll(List.of("-jar", jar.toString(), "--config", yaml.toString(), "init", "--create"));
        run(init, "pitr init");
        // the launcher as installed runs it: its JVM options, and the class data archive its first run saved (the
        // warm-up push before the rounds)
        String pitr = "PITR_JAR=" + Shell.quote(jar.toString()) + " PITR_CDS_DIR="
                + Shell.quote(base.resolve("cds").toString())
                + (trust.isEmpty()
                        ? ""
                        : " PITR_JAVA_OPTS=" + Shell.quote("-XX:+UseSerialGC " + String.join(" ", trust)))
                + " " + Shell.quote(installedLauncher().toString()) + " --config " + Shell.quote(yaml.toString());
        String archiveCommand = WalShipper.archiveCommand(pitr);
        return () -> {
            for (Path f : segs) {
                String name = f.getFileName().toString();
                Processes.Result r = Processes.run(List.of(
                        "/bin/sh",
                        "-c",
                        "cd " + pitrPg + " && "
                                + archiveCommand.replace("%f", name).replace("%p", "pg_wal/" + name)));
                if (!r.ok()) {
                    throw new IllegalStateException("archive_command failed for " + name + ": " + r.output());
                }
                Files.move(pitrStatus.resolve(name + ".ready"), pitrStatus.resolve(name + ".done"));
            }
        };
    }

    /** The launcher the package and the tarball install as {@code bin/pitr}, in this checkout. */
    private static Path installedLauncher() {
        return Path.of(System.getProperty("pitr.home", "."), "archiver/src/package/bin/pitr");
    }

    private Config shipConfig(Config config, String run, S3ProxyServer s3) {
        Map<Key, String> m = Benchmarks.settings(config);
        m.put(Key.STORAGE_PATH, base.resolve("repo-" + run).toString());
        m.put(Key.CATALOG_PATH, base.resolve("catalog-" + run + ".db").toString());
        if (s3 != null) {
            m.putAll(s3Storage(s3, run));
        }
        Config c = Config.of(base.resolve("pitr-" + run + ".yaml"), m);
        dev.pitr.config.RepositorySetup.ensure(c, true);
        return c;
    }

    /** pitr's storage settings for a repository under {@code prefix} in S3Proxy's HTTPS endpoint. */
    private static Map<Key, String> s3Storage(S3ProxyServer s3, String prefix) {
        return Map.of(
                Key.STORAGE_TYPE,
                "s3",
                Key.STORAGE_BUCKET,
                PITR_BUCKET,
                Key.STORAGE_PREFIX,
                prefix,
                Key.STORAGE_ENDPOINT,
                s3.secureEndpoint().toString(),
                Key.AWS_ACCESS_KEY_ID,
                S3ProxyServer.ACCESS_KEY,
                Key.AWS_SECRET_ACCESS_KEY,
                S3ProxyServer.SECRET_KEY);
    }

    private static Map<String, Object> rates(Rounds r, String who, int n, String what) {
        return Map.of(
                "seconds",
                r.json(who),
                "segments_per_second",
                n / r.median(who),
                "cpu_seconds",
                r.json(who + " cpu"),
                "cpu_ms_per_segment",
                1000 * r.median(who + " cpu") / n,
                "what",
                what);
    }

    /** Segments per second, the median round's then the slowest and fastest. */
    private static String perSecond(Rounds r, String who, int n) {
        List<Double> v = r.values(who);
        return fmt(n / r.median(who)) + " ("
                + fmt(n / v.stream().mapToDouble(d -> d).max().orElseThrow()) + "-"
                + fmt(n / v.stream().mapToDouble(d -> d).min().orElseThrow()) + ")";
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

    private void pgbackrest(PgTools tools, Path conf, String stanza, String command, String... args) {
        List<String> cmd =
                new ArrayList<>(List.of(pgbackrestProgram, "--config=" + conf, "--stanza=" + stanza, command));
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
        return Rounds.fmt(v);
    }

    /** What {@code pgbackrest version} says: the version this run measured. */
    private String pgbackrestVersion() {
        Processes.Result v = Processes.run(List.of(pgbackrestProgram, "version"));
        return v.ok() ? v.output().strip() : "pgBackRest";
    }

    private void print() {
        b.say("");
        b.say("median of " + rounds + " interleaved rounds, (lowest-highest); ratios of medians, pitr to the other");
        b.say("| measure | pitr | " + pgbackrestVersion() + " | cp floor | ratio |");
        b.say("|---|---|---|---|---|");
        for (String[] r : rows) {
            b.say("| " + String.join(" | ", r) + " |");
        }
    }
}
