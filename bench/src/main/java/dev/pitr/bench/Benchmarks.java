package dev.pitr.bench;

import dev.pitr.aws.S3ProxyServer;
import dev.pitr.backup.SnapshotService;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.demo.Workspace;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Processes;
import dev.pitr.restore.RestoreRequest;
import dev.pitr.restore.RestoreService;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.wal.CaptureService;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.Sleeper;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFetcher;
import dev.pitr.wal.WalShipper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Measured, not asserted: real WAL from a throwaway primary, shipped and replayed by pitr and by the plain {@code cp}
 * baseline in the same run, so each figure comes with its ratio.
 */
public final class Benchmarks {

    private static final long SEG = 16L << 20;

    private final Path base;
    private final PrintWriter out;
    private boolean encrypted;

    public Benchmarks(Path base, PrintWriter out) {
        this.base = base.toAbsolutePath().normalize();
        this.out = out;
    }

    /** Archives with encryption on (a key file made for the run), for ship, restore and ship-s3. */
    public Benchmarks encrypted(boolean on) {
        this.encrypted = on;
        return this;
    }

    /** Ships {@code n} real segments from a spool with pitr, and copies them with one {@code cp} per segment. */
    public void ship(int n) throws Exception {
        reset();
        Config config = config(LocalCluster.freePort());
        Path source = generateSegments(config, n);
        long bytes = n * SEG;

        Path cpDir = Files.createDirectories(base.resolve("cp-archive"));
        long t0 = System.nanoTime();
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.sorted().toList()) {
                Processes.Result r = Processes.run(List.of(
                        "cp", f.toString(), cpDir.resolve(f.getFileName()).toString()));
                if (!r.ok()) {
                    throw new IllegalStateException(r.output());
                }
            }
        }
        Processes.run(List.of("sync"));
        double cpSeconds = (System.nanoTime() - t0) / 1e9;

        Path spool = Files.createDirectories(base.resolve("spool"));
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.toList()) {
                Files.copy(f, spool.resolve(f.getFileName()));
            }
        }
        double pitrSeconds;
        long stored;
        try (Repository repo = Repository.open(config, false)) {
            long t1 = System.nanoTime();
            new WalShipper(repo, Clock.systemUTC(), config.requireInt(Key.WAL_SHIP_PARALLELISM)).shipSpool(spool);
            pitrSeconds = (System.nanoTime() - t1) / 1e9;
            stored = repo.catalog().allSegments().stream()
                    .mapToLong(r -> r.storedSize())
                    .sum();
        }
        say(String.format("shipping %d segments (%d MB of real WAL) from the spool:", n, bytes >> 20));
        say(String.format(
                "  pitr wal sync (zstd %s, fsync, catalog): %.2f s = %.1f segments/s, %.1f MB/s, stored %.1f MB (%.1fx smaller)",
                config.require(Key.COMPRESSION_LEVEL),
                pitrSeconds,
                n / pitrSeconds,
                (bytes >> 20) / pitrSeconds,
                stored / 1048576.0,
                (double) bytes / stored));
        say(String.format(
                "  cp per segment (archive_command = 'cp %%p ...', then one sync): %.2f s = %.1f segments/s, %.1f MB/s",
                cpSeconds, n / cpSeconds, (bytes >> 20) / cpSeconds));
        say(String.format("  ratio pitr/cp throughput: %.2f", cpSeconds / pitrSeconds));
    }

    /** {@code n} completed segments of real WAL from bulk inserts on a throwaway primary, copied into a directory. */
    private Path generateSegments(Config config, int n) throws Exception {
        PgTools tools = PgTools.from(config).newestInstalled();
        Path source = Files.createDirectories(base.resolve("segments"));
        try (LocalCluster primary =
                LocalCluster.init(tools, base.resolve("primary"), config.requireInt(Key.PRIMARY_PORT))) {
            appendConf(primary, "wal_keep_size = '4GB'\nmax_wal_size = '4GB'\ncheckpoint_timeout = '1h'\n");
            primary.start();
            say("generating " + n + " segments of WAL with bulk inserts");
            primary.execute("CREATE TABLE t (id bigint, pad text)");
            String first = primary.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
            int batch = 0;
            while (segmentsSince(primary, first) < n + 1) {
                primary.execute("INSERT INTO t SELECT g, md5(g::text) || repeat('x', 100) FROM generate_series("
                        + batch * 200_000L + ", " + (batch + 1) * 200_000L + ") g");
                batch++;
            }
            SegmentName s = SegmentName.parse(first, SEG);
            for (int i = 0; i < n; i++, s = s.next()) {
                Files.copy(primary.dataDir().resolve("pg_wal").resolve(s.fileName()), source.resolve(s.fileName()));
            }
        }
        return source;
    }

    /**
     * Ships the same {@code n} segments into local storage and into an S3 API (S3Proxy started here unless {@code
     * endpoint} is given), one upload at a time and {@code inflight} at a time, with the catalog in SQLite for both so
     * that only the storage differs.
     */
    public void shipS3(int n, int inflight, java.net.URI endpoint, Path s3proxyJar) throws Exception {
        reset();
        Config config = config(LocalCluster.freePort());
        Path source = generateSegments(config, n);
        S3ProxyServer s3proxy = null;
        try {
            java.net.URI ep = endpoint;
            if (ep == null) {
                s3proxy = S3ProxyServer.start(s3proxyJar);
                ep = s3proxy.endpoint();
                s3Keys = new String[] {S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY};
                say("started S3Proxy (filesystem backend) on " + ep);
            }
            long bytes = n * SEG;
            say(String.format(
                    "shipping %d segments (%d MB of real WAL), zstd %s, catalog in SQLite:",
                    n, bytes >> 20, config.require(Key.COMPRESSION_LEVEL)));
            for (int par : new int[] {1, inflight}) {
                double local = timedShip(source, par, "local", null);
                double s3 = timedShip(source, par, "s3", ep);
                say(String.format(
                        "  %d in flight: local %.2f s = %.1f seg/s, %.1f MB/s | s3 %.2f s = %.1f seg/s, %.1f MB/s | ratio s3/local throughput %.2f",
                        par, local, n / local, (bytes >> 20) / local, s3, n / s3, (bytes >> 20) / s3, local / s3));
            }
        } finally {
            if (s3proxy != null) {
                s3proxy.close();
            }
        }
    }

    /** The key pair the S3 API takes: S3Proxy's when it was started here, else the environment's or a placeholder. */
    private String[] s3Keys = {"bench", "bench"};

    /** The pitr.jar the launcher built, which restore_command runs. */
    static Path pitrJar() {
        Path jar = Path.of(System.getProperty("pitr.home", "."), "archiver", "target", "pitr.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no pitr.jar at " + jar + "; run the benchmarks through ./pitr bench");
        }
        return jar;
    }

    private double timedShip(Path source, int inflight, String type, java.net.URI endpoint) throws Exception {
        String run = type + "-" + inflight;
        Path spool = Files.createDirectories(base.resolve("spool-" + run));
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.toList()) {
                Files.copy(f, spool.resolve(f.getFileName()));
            }
        }
        Map<Key, String> m = new EnumMap<>(Key.class);
        m.put(Key.STORAGE_PATH, base.resolve("repo-" + run).toString());
        m.put(Key.CATALOG_PATH, base.resolve("catalog-" + run + ".db").toString());
        if (type.equals("s3")) {
            m.put(Key.STORAGE_TYPE, "s3");
            m.put(Key.STORAGE_BUCKET, "pitr-bench");
            m.put(Key.STORAGE_PREFIX, run);
            m.put(Key.STORAGE_ENDPOINT, endpoint.toString());
            if (System.getenv("AWS_ACCESS_KEY_ID") == null) {
                m.put(Key.AWS_ACCESS_KEY_ID, s3Keys[0]);
                m.put(Key.AWS_SECRET_ACCESS_KEY, s3Keys[1]);
            }
        }
        Config config = Config.of(base.resolve("pitr-" + run + ".yaml"), m);
        dev.pitr.config.RepositorySetup.ensure(config, true);
        try (Repository repo = Repository.open(config, false)) {
            long files;
            try (Stream<Path> s = Files.list(spool)) {
                files = s.count();
            }
            // the shipping path capture runs: up to `inflight` segments at once, acknowledged in order
            long t0 = System.nanoTime();
            new WalShipper(repo, Clock.systemUTC(), inflight).shipSpool(spool);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (repo.catalog().allSegments().size() != files) {
                throw new IllegalStateException(
                        "shipped " + repo.catalog().allSegments().size() + " of " + files);
            }
            return seconds;
        }
    }

    /**
     * Compress-only against compress-then-encrypt as objects are written ({@link dev.pitr.codec.ObjectCodec}: zstd on
     * this thread, the OpenPGP cipher on another) on the same real segments, in memory so that only the CPU work is
     * compared, with the CPU time of both; each variant runs five times, interleaved, and the best run counts.
     */
    public void encrypt(int n) throws Exception {
        reset();
        Config config = config(LocalCluster.freePort());
        Path source = generateSegments(config, n);
        List<byte[]> segments = new java.util.ArrayList<>();
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.sorted().toList()) {
                segments.add(Files.readAllBytes(f));
            }
        }
        dev.pitr.codec.Zstd zstd = new dev.pitr.codec.Zstd(config.requireInt(Key.COMPRESSION_LEVEL));
        dev.pitr.codec.ObjectCodec codec = new dev.pitr.codec.ObjectCodec(zstd, dev.pitr.crypto.Keyring.none());
        List<byte[]> compressed = new java.util.ArrayList<>();
        for (byte[] seg : segments) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            try (java.io.OutputStream z = zstd.compress(b)) {
                z.write(seg);
            }
            compressed.add(b.toByteArray());
        }
        double plain = Double.MAX_VALUE;
        double encrypted = Double.MAX_VALUE;
        double cipherOnly = Double.MAX_VALUE;
        double plainCpu = Double.MAX_VALUE;
        double encryptedCpu = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long c0 = processCpuNanos();
            long t0 = System.nanoTime();
            for (byte[] seg : segments) {
                try (java.io.OutputStream z = zstd.compress(java.io.OutputStream.nullOutputStream())) {
                    z.write(seg);
                }
            }
            plain = Math.min(plain, (System.nanoTime() - t0) / 1e9);
            plainCpu = Math.min(plainCpu, (processCpuNanos() - c0) / 1e9);
            long c1 = processCpuNanos();
            long t1 = System.nanoTime();
            for (byte[] seg : segments) {
                try (java.io.OutputStream enc = codec.encryptingStream(
                        java.io.OutputStream.nullOutputStream(), dev.pitr.crypto.DataKey.generate())) {
                    enc.write(seg);
                }
            }
            encrypted = Math.min(encrypted, (System.nanoTime() - t1) / 1e9);
            encryptedCpu = Math.min(encryptedCpu, (processCpuNanos() - c1) / 1e9);
            long t2 = System.nanoTime();
            for (byte[] c : compressed) {
                try (java.io.OutputStream enc = dev.pitr.crypto.ObjectCipher.encrypt(
                        java.io.OutputStream.nullOutputStream(), dev.pitr.crypto.DataKey.generate())) {
                    enc.write(c);
                }
            }
            cipherOnly = Math.min(cipherOnly, (System.nanoTime() - t2) / 1e9);
        }
        // the bulk cipher alone over the same compressed bytes: the JDK's (intrinsified) AES against Bouncy Castle's
        // pure-Java engine, and the JDK's AES-GCM as the fastest authenticated alternative (which gpg cannot read)
        double jdkCfb = Double.MAX_VALUE;
        double bcCfb = Double.MAX_VALUE;
        double jdkGcm = Double.MAX_VALUE;
        byte[] k = new byte[32];
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            for (byte[] c : compressed) {
                javax.crypto.Cipher cfb = javax.crypto.Cipher.getInstance("AES/CFB/NoPadding");
                cfb.init(
                        javax.crypto.Cipher.ENCRYPT_MODE,
                        new javax.crypto.spec.SecretKeySpec(k, "AES"),
                        new javax.crypto.spec.IvParameterSpec(new byte[16]));
                cfb.doFinal(c);
            }
            jdkCfb = Math.min(jdkCfb, (System.nanoTime() - t0) / 1e9);
            long t1 = System.nanoTime();
            for (byte[] c : compressed) {
                var bc = org.bouncycastle.crypto.modes.CFBBlockCipher.newInstance(
                        org.bouncycastle.crypto.engines.AESEngine.newInstance(), 128);
                bc.init(
                        true,
                        new org.bouncycastle.crypto.params.ParametersWithIV(
                                new org.bouncycastle.crypto.params.KeyParameter(k), new byte[16]));
                byte[] out = new byte[c.length];
                bc.processBytes(c, 0, c.length, out, 0);
            }
            bcCfb = Math.min(bcCfb, (System.nanoTime() - t1) / 1e9);
            long t2 = System.nanoTime();
            int i = 0;
            for (byte[] c : compressed) {
                byte[] iv = new byte[12];
                iv[0] = (byte) i++;
                iv[1] = (byte) round;
                javax.crypto.Cipher gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
                gcm.init(
                        javax.crypto.Cipher.ENCRYPT_MODE,
                        new javax.crypto.spec.SecretKeySpec(k, "AES"),
                        new javax.crypto.spec.GCMParameterSpec(128, iv));
                gcm.doFinal(c);
            }
            jdkGcm = Math.min(jdkGcm, (System.nanoTime() - t2) / 1e9);
        }
        long mb = (n * SEG) >> 20;
        long stored = compressed.stream().mapToLong(c -> c.length).sum();
        say(String.format(
                "%d segments (%d MB of real WAL, %d MB compressed), zstd level %s, best of 5:",
                n, mb, stored >> 20, config.require(Key.COMPRESSION_LEVEL)));
        say(String.format("  compress only:                      %.2f s = %.1f MB/s", plain, mb / plain));
        say(String.format(
                "  compress + encrypt:                 %.2f s = %.1f MB/s (OpenPGP SEIPD: JDK %s AES-256/CFB + SHA-1 MDC)",
                encrypted,
                mb / encrypted,
                javax.crypto.Cipher.getInstance("AES/CFB/NoPadding")
                        .getProvider()
                        .getName()));
        say(String.format("  encrypting the compressed bytes alone: %.2f s", cipherOnly));
        say(String.format(
                "  encryption adds %.1f%% wall time end to end (cipher on a second thread), %.1f%% CPU time"
                        + " (%.2f s vs %.2f s of process CPU); the cipher alone is %.1f%% of the compress-only time",
                100 * (encrypted - plain) / plain,
                100 * (encryptedCpu - plainCpu) / plainCpu,
                encryptedCpu,
                plainCpu,
                100 * cipherOnly / plain));
        say(String.format(
                "  bulk cipher alone on the compressed bytes: JDK AES/CFB %.3f s, Bouncy Castle AESEngine/CFB %.3f s"
                        + " (%.1fx slower), JDK AES/GCM %.3f s",
                jdkCfb, bcCfb, bcCfb / jdkCfb, jdkGcm));
        say("  java " + System.getProperty("java.version")
                + "; chosen: OpenPGP SEIPD on the JDK's AES, so stock gpg reads every object");
    }

    /** CPU time of this process (all threads), which includes the JIT and GC threads: a ceiling, not a floor. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * pitr against pgBackRest on the same cluster and WAL: a snapshot of a pgbench database of {@code scale}, shipping
     * {@code segments} segments, a restore to a time target against the cp floor, each in {@code rounds} interleaved
     * rounds; figures also written to {@code json}. {@code pgbackrest} is the pgBackRest program run.
     */
    public void peers(int scale, int segments, int rounds, Path json, String pgbackrest) throws Exception {
        new PeerBenchmark(this, base, pgbackrest).run(scale, segments, rounds, json);
    }

    /** Replays the same archived WAL twice: restore_command = pitr wal fetch, and restore_command = cp. */
    public void restore(int n) throws Exception {
        reset();
        int port = LocalCluster.freePort();
        Config config = config(port);
        PgTools tools = PgTools.from(config).newestInstalled();
        try (LocalCluster primary =
                        LocalCluster.init(tools, base.resolve("primary"), port).start();
                Repository repo = Repository.open(config, false)) {
            StringWriter captureLog = new StringWriter();
            CaptureService capture = new CaptureService(
                    tools,
                    primary.primary(),
                    "pitr_slot",
                    config.requirePath(Key.WAL_SPOOL_DIR),
                    new WalShipper(repo, Clock.systemUTC()),
                    Duration.ofMillis(100),
                    Duration.ofMinutes(1),
                    Clock.systemUTC(),
                    Sleeper.SYSTEM,
                    new PrintWriter(captureLog, true));
            Thread thread = new Thread(capture::run, "capture");
            thread.start();
            try {
                primary.execute("CREATE TABLE t (id bigint, pad text)");
                new SnapshotService(
                                repo,
                                tools,
                                primary.primary(),
                                Clock.systemUTC(),
                                Duration.ofMinutes(2),
                                new PrintWriter(new StringWriter()))
                        .create("bench");
                say("generating about " + n + " segments of WAL with bulk inserts");
                String first = primary.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
                for (int batch = 0; segmentsSince(primary, first) < n; batch++) {
                    primary.execute("INSERT INTO t SELECT g, md5(g::text) || repeat('x', 100) FROM generate_series("
                            + batch * 200_000L + ", " + (batch + 1) * 200_000L + ") g");
                }
                Lsn end = Lsn.parse(primary.queryOne("SELECT pg_switch_wal()"));
                primary.execute("CREATE TABLE nudge (x int)");
                SegmentName last = SegmentName.containing(TimelineId.of(1), new Lsn(end.value() - 1), SEG);
                while (repo.catalog().segment(last.walFileName()).isEmpty()) {
                    Thread.sleep(100);
                }
            } finally {
                capture.requestStop();
                thread.join();
            }
            long segments = repo.catalog().allSegments().size();
            Path cpScript = cpFetchScript(repo);

            RestoreTarget latest = new RestoreTarget.Latest();
            EtaMeter eta = new EtaMeter();
            progress = eta;
            double pitrSeconds;
            try {
                pitrSeconds =
                        timedRestore(config, repo, tools, "restore-pitr", null, latest, new StringWriter(), c -> {});
            } finally {
                progress = null;
            }
            double cpSeconds = timedRestore(
                    config, repo, tools, "restore-cp", cpScript.toString(), latest, new StringWriter(), c -> {});
            say(String.format(
                    "restore --latest of one snapshot + %d archived segments (%d MB of WAL):",
                    segments, (segments * SEG) >> 20));
            say(String.format(
                    "  pitr (prefetch %s threads, %s MB ahead; restore_command takes each from the spool): %.2f s (%.1f MB/s of WAL)",
                    config.require(Key.RESTORE_PREFETCH_PARALLELISM),
                    config.require(Key.RESTORE_PREFETCH_MB),
                    pitrSeconds,
                    ((segments * SEG) >> 20) / pitrSeconds));
            say(String.format(
                    "  restore_command = cp from a local directory: %.2f s (%.1f MB/s of WAL)",
                    cpSeconds, ((segments * SEG) >> 20) / cpSeconds));
            say(String.format("  ratio pitr/cp time: %.2f", pitrSeconds / cpSeconds));
            eta.report(this::say);
        }
    }

    /**
     * The floor's fetch command: every archived segment decoded once into a plain directory, and a script that copies
     * one from there, taking the same arguments as {@code pitr --config C wal fetch %f %p}.
     */
    Path cpFetchScript(Repository repo) throws IOException {
        Path plain = Files.createDirectories(base.resolve("plain-wal"));
        for (var r : repo.catalog().allSegments()) {
            try (var in = repo.codec().open(repo.storage(), r.storageKey(), r.keyId() != null)) {
                Files.copy(in, plain.resolve(r.name().fileName()));
            }
        }
        Processes.run(List.of("chmod", "-R", "a+rX", plain.toString()));
        Path cpScript = base.resolve("cp-fetch.sh");
        // it stands where pitr's restore_command runs 'pitr ... wal fetch --absent-exit-code N %f %p': the last two
        // arguments are the file and the path, and an absent file exits N
        Files.writeString(
                cpScript,
                "#!/bin/sh\nfor a; do f=\"$p\"; p=\"$a\"; done\n"
                        + "test -f '" + plain + "'/\"$f\" || exit " + WalFetcher.WRAPPED_ABSENT_EXIT + "\n"
                        + "exec cp '" + plain + "'/\"$f\" \"$p\"\n");
        Files.setPosixFilePermissions(cpScript, PosixFilePermissions.fromString("rwxr-xr-x"));
        return cpScript;
    }

    /**
     * Restores {@code target} into {@code dirName} and returns the seconds it took; {@code command}, when given, replaces
     * the fetch command and turns prefetching off (the floor). The restore's log goes to {@code log}; {@code inspect}
     * sees the restored server before it is stopped.
     */
    /** Where the restore's progress goes while {@link #restore} times pitr; null: nowhere. */
    private EtaMeter progress;

    /**
     * How right the restore's progress is: each phase's samples (the time, the bytes done, the time left the progress
     * would show, by {@link dev.pitr.status.Progress#rate}), against the time the phase really took to end.
     */
    static final class EtaMeter {
        private record Sample(long nanos, long done) {}

        private static final class Phase {
            final String label;
            final long total;
            final long started = System.nanoTime();
            final List<Sample> samples = new ArrayList<>();
            long ended;

            Phase(String label, long total) {
                this.label = label;
                this.total = total;
            }
        }

        private final List<Phase> phases = new ArrayList<>();

        dev.pitr.status.Progress phase(String label, long total) {
            Phase p = new Phase(label, total);
            phases.add(p);
            return new dev.pitr.status.Progress() {
                @Override
                public synchronized void at(long done) {
                    p.samples.add(new Sample(System.nanoTime(), done));
                }

                @Override
                public void finish() {
                    p.ended = System.nanoTime();
                }
            };
        }

        void report(java.util.function.Consumer<String> say) {
            for (Phase p : phases) {
                List<Double> errors = new ArrayList<>();
                // as the progress measures its rate: from its first sample on
                Sample first =
                        p.samples.stream().filter(x -> x.done() > 0).findFirst().orElse(null);
                for (Sample x : p.samples) {
                    if (first == null || x.nanos() <= first.nanos()) {
                        continue;
                    }
                    double rate = dev.pitr.status.Progress.rate(
                            x.done() - first.done(), Duration.ofNanos(x.nanos() - first.nanos()));
                    double left = (p.ended - x.nanos()) / 1e9;
                    if (rate > 0 && x.done() < p.total && left >= 1) {
                        double eta = (p.total - x.done()) / rate;
                        errors.add(Math.abs(eta - left) / left);
                    }
                }
                java.util.Collections.sort(errors);
                say.accept(String.format(
                        "  progress of %s: %.1f s, %d samples with a time left; its error against the real time left:"
                                + " median %s, largest %s",
                        p.label,
                        (p.ended - p.started) / 1e9,
                        errors.size(),
                        errors.isEmpty() ? "-" : String.format("%.0f %%", 100 * errors.get(errors.size() / 2)),
                        errors.isEmpty() ? "-" : String.format("%.0f %%", 100 * errors.get(errors.size() - 1))));
            }
        }
    }

    double timedRestore(
            Config config,
            Repository repo,
            PgTools tools,
            String dirName,
            String command,
            RestoreTarget target,
            java.io.Writer log,
            java.util.function.Consumer<LocalCluster> inspect) {
        Map<Key, String> values = settings(config);
        if (command != null) {
            // the floor: restore_command is the command alone, with no prefetch spool in front of it
            values.put(Key.RESTORE_PITR_COMMAND, command);
            values.put(Key.RESTORE_PREFETCH_MB, "0");
        }
        Config c = Config.of(config.file(), values);
        Path dir = base.resolve(dirName);
        int port = LocalCluster.freePort();
        long t0 = System.nanoTime();
        RestoreService service = new RestoreService(c, repo, tools, Clock.systemUTC(), new PrintWriter(log, true));
        if (progress != null) {
            service.showing(progress::phase);
        }
        service.restore(RestoreRequest.of(target, dir, port, RestoreRequest.Action.PROMOTE));
        double s = (System.nanoTime() - t0) / 1e9;
        LocalCluster restored = LocalCluster.existing(tools, dir, port);
        try {
            inspect.accept(restored);
        } finally {
            restored.stop();
        }
        return s;
    }

    static long segmentsSince(LocalCluster c, String first) {
        String now = c.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
        return SegmentName.parse(now, SEG).segno()
                - SegmentName.parse(first, SEG).segno();
    }

    static void appendConf(LocalCluster c, String s) throws IOException {
        Files.writeString(c.dataDir().resolve("postgresql.conf"), s, java.nio.file.StandardOpenOption.APPEND);
    }

    Config config(int port) throws IOException {
        return config(port, Map.of());
    }

    /** The benchmark's configuration with {@code extra} settings on top. */
    Config config(int port, Map<Key, String> extra) throws IOException {
        Map<Key, String> m = new EnumMap<>(Key.class);
        m.putAll(extra);
        m.put(Key.PRIMARY_HOST, "127.0.0.1");
        m.put(Key.PRIMARY_PORT, Integer.toString(port));
        m.put(Key.STORAGE_PATH, base.resolve("repo").toString());
        m.put(Key.WAL_SPOOL_DIR, base.resolve("capture-spool").toString());
        m.put(Key.RESTORE_PITR_COMMAND, Workspace.pitrCommandCopy(base, pitrJar()));
        if (encrypted) {
            Path key = base.resolve("kek.hex");
            if (!Files.exists(key)) {
                byte[] k = new byte[32];
                new java.security.SecureRandom().nextBytes(k);
                Files.writeString(key, java.util.HexFormat.of().formatHex(k) + "\n");
            }
            m.put(Key.ENCRYPTION_MODE, "key-file");
            m.put(Key.ENCRYPTION_KEY_FILE, key.toString());
            say("encryption on: zstd + OpenPGP AES-256 per object, key file " + key);
        }
        return Config.of(base.resolve("pitr.yaml"), m);
    }

    /** {@code config}'s values, every key that has one, to change and make a configuration of ({@link Config#of}). */
    static Map<Key, String> settings(Config config) {
        Map<Key, String> values = new EnumMap<>(Key.class);
        for (Key k : Key.values()) {
            config.get(k).ifPresent(v -> values.put(k, v));
        }
        return values;
    }

    /** Writes {@code config}'s values as the YAML file it names, for pitr processes started by a benchmark. */
    static Path writeYaml(Config config) throws IOException {
        Map<String, StringBuilder> sections = new java.util.LinkedHashMap<>();
        StringBuilder y = new StringBuilder("# written by pitr bench\n");
        for (Key k : Key.values()) {
            String v = config.get(k).orElse(null);
            if (v == null || k.defaultValue().map(v::equals).orElse(false)) {
                continue;
            }
            String quoted = "'" + v.replace("'", "''") + "'\n";
            String[] parts = k.path().split("\\.", 2);
            if (parts.length == 1) {
                y.append(parts[0]).append(": ").append(quoted);
            } else {
                sections.computeIfAbsent(parts[0], x -> new StringBuilder())
                        .append("  ")
                        .append(parts[1])
                        .append(": ")
                        .append(quoted);
            }
        }
        sections.forEach((name, body) -> y.append(name).append(":\n").append(body));
        Files.writeString(config.file(), y);
        return config.file();
    }

    Path base() {
        return base;
    }

    void reset() throws IOException {
        Workspace.reset(
                base,
                PgTools.ofSetting(Key.POSTGRES_BIN_DIR.defaultValue().orElseThrow(), "postgres")
                        .newestInstalled());
    }

    void say(String s) {
        out.println(s);
        out.flush();
    }
}
