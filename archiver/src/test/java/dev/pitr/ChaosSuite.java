package dev.pitr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pitr.aws.FaultProxy;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.cli.Cli;
import dev.pitr.codec.Checksum;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.Primary;
import dev.pitr.postgres.Processes;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The chaos suite: a primary with a synchronous hot standby under pgbench and a marker-row writer, archived by
 * {@code pitr run} (capture and scheduled snapshots) into S3 and DynamoDB behind fault proxies, while faults are
 * injected at random for {@code -Dchaos.minutes} (17; about 20 minutes in all) from {@code -Dchaos.seed}: SIGKILL of {@code pitr run}, of
 * {@code pg_receivewal} and of a snapshot in progress; S3 503s, resets mid-body, stalls past the timeout and a total
 * outage; DynamoDB throttling and an outage; the spool (a tmpfs) filling up; an immediate-mode crash of the primary,
 * and once a failover to the standby. Then it checks WAL continuity over the catalog on every timeline, every object
 * against its checksum, and restores to the latest point and to three random earlier ones, each of which must hold
 * exactly the marker rows committed at or before its target. Not part of the default run: {@code bench/chaos.sh}.
 */
class ChaosSuite {

    private static final long MIB = 1024 * 1024;

    /** One marker row: when its INSERT was sent, when it returned (or failed), and whether it was acknowledged. */
    record Marker(int id, Instant sent, Instant ended, boolean acked) {}

    enum Fault {
        KILL_CAPTURE,
        KILL_RECEIVEWAL,
        KILL_SNAPSHOT,
        S3_FAULTS,
        S3_OUTAGE,
        DYNAMODB_THROTTLING,
        DYNAMODB_OUTAGE,
        SPOOL_FULL,
        PRIMARY_CRASH,
        FAILOVER
    }

    private final long seed = Long.getLong("chaos.seed", 1);
    private final Duration length = Duration.ofMinutes(Long.getLong("chaos.minutes", 17));
    private final Random random = new Random(seed);
    private final Map<Fault, Integer> injected = new EnumMap<>(Fault.class);
    private final List<Marker> markers = new CopyOnWriteArrayList<>();
    private final List<String> results = new ArrayList<>();
    private final AtomicBoolean writing = new AtomicBoolean(true);
    private final AtomicBoolean markersPaused = new AtomicBoolean(false);
    private final AtomicBoolean pgbenchIdle = new AtomicBoolean(false);

    private ArchiveFixture fx;
    private FaultProxy s3;
    private FaultProxy dynamo;
    private LocalCluster standby;
    private LocalCluster standbyCluster;
    private volatile LocalCluster current;
    private Process run;
    private Path spool;
    private int passed;
    private int failed;

    @Test
    void chaos() throws Exception {
        say("chaos suite: seed " + seed + ", " + length.toMinutes() + " minutes of faults");
        fx = new ArchiveFixture("chaos", ArchiveFixture.Backend.AWS);
        try {
            setUp();
            List<Thread> load = List.of(thread("markers", this::writeMarkers), thread("pgbench", this::pgbench));
            load.forEach(Thread::start);
            injectFaults();
            heal();
            writing.set(false);
            for (Thread t : load) {
                t.join(120_000);
            }
            finish();
            verify();
        } finally {
            stopRun();
            if (standbyCluster != null) {
                standbyCluster.stop();
            }
            if (spool != null) {
                Processes.run(List.of("umount", "-l", spool.toString()));
            }
            s3.close();
            dynamo.close();
            fx.close();
        }
        say("faults injected: "
                + injected.values().stream().mapToInt(Integer::intValue).sum() + " " + injected);
        say("s3 proxy: " + s3.summary() + "; dynamodb proxy: " + dynamo.summary());
        say(passed + " passed, " + failed + " failed");
        assertEquals(0, failed, String.join("\n", results));
    }

    private void setUp() throws Exception {
        spool = Files.createDirectories(fx.base.resolve("spool"));
        check(
                Processes.run(List.of("mount", "-t", "tmpfs", "-o", "size=128m,mode=0700", "tmpfs", spool.toString())),
                "mount a tmpfs spool (needs root)");
        fx.primary.execute("ALTER SYSTEM SET synchronous_standby_names = 'standby'");
        fx.primary.queryOne("SELECT pg_reload_conf()");
        int standbyPort = LocalCluster.freePort();
        standby = LocalCluster.standbyOf(fx.tools, fx.primary, fx.base.resolve("standby"), standbyPort, "standby_slot");
        Files.writeString(
                standby.dataDir().resolve("postgresql.auto.conf"),
                "cluster_name = 'standby'\n",
                StandardOpenOption.APPEND);
        standbyCluster = standby.start();
        current = fx.primary;
        s3 = new FaultProxy(fx.aws().s3Endpoint(), FaultProxy.Service.S3, Integer.MAX_VALUE, 7_000);
        dynamo = new FaultProxy(fx.aws().dynamoDbEndpoint(), FaultProxy.Service.DYNAMODB, Integer.MAX_VALUE, 7_000);
        s3.randomFaults(new Random(random.nextLong()), 0, List.of());
        dynamo.randomFaults(new Random(random.nextLong()), 0, List.of());
        fx.routeThrough(s3.endpoint(), dynamo.endpoint(), 5);
        Files.writeString(
                fx.configFile,
                "standby:\n  host: 127.0.0.1\n  port: " + standbyPort + "\n" + "dashboard:\n  listen: 127.0.0.1:"
                        + LocalCluster.freePort() + "\n",
                StandardOpenOption.APPEND);
        Files.writeString(
                fx.configFile,
                Files.readString(fx.configFile).replace("snapshot:\n", "snapshot:\n  schedule: '*/3 * * * *'\n"));
        fx.ok("check", "--fix");
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, sent timestamptz)");
        check(
                Processes.run(List.of(
                        fx.tools.path("pgbench"),
                        "-i",
                        "-s",
                        "5",
                        "-q",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        "" + fx.primary.port(),
                        "-U",
                        "postgres",
                        "postgres")),
                "pgbench -i");
        startRun();
        fx.switchAndAwaitArchived();
        fx.ok("snapshot", "create", "--label", "chaos-base");
    }

    // ---- load

    /** One marker row per transaction, about 30 per second, each timed around its INSERT. */
    private void writeMarkers() {
        int id = 0;
        Connection c = null;
        while (writing.get()) {
            if (markersPaused.get()) {
                c = close(c);
                sleep(50);
                continue;
            }
            try {
                if (c == null) {
                    c = connectToPrimary();
                }
                id++;
                Instant sent = Instant.now();
                boolean acked;
                try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO marker VALUES (" + id + ", now())");
                    acked = true;
                } catch (SQLException e) {
                    acked = false;
                    c = close(c);
                }
                markers.add(new Marker(id, sent, Instant.now(), acked));
            } catch (RuntimeException e) {
                c = close(c);
                sleep(200);
            }
            sleep(30);
        }
        close(c);
    }

    private void pgbench() {
        while (writing.get()) {
            if (markersPaused.get()) {
                pgbenchIdle.set(true);
                sleep(100);
                continue;
            }
            pgbenchIdle.set(false);
            Processes.run(List.of(
                    fx.tools.path("pgbench"),
                    "-n",
                    "-c",
                    "2",
                    "-j",
                    "1",
                    "-T",
                    "10",
                    "-R",
                    "150",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    "" + current.port(),
                    "-U",
                    "postgres",
                    "postgres"));
            sleep(200);
        }
    }

    private Connection connectToPrimary() {
        return new Primary("127.0.0.1", current.port(), "postgres", null, "postgres").connect();
    }

    // ---- faults

    private void injectFaults() throws Exception {
        Instant end = Instant.now().plus(length);
        Instant failoverAt =
                Instant.now().plus(length.multipliedBy(40 + random.nextInt(20)).dividedBy(100));
        List<Fault> kinds = new ArrayList<>(List.of(Fault.values()));
        kinds.remove(Fault.FAILOVER);
        while (Instant.now().isBefore(end)) {
            Fault f = standby != null && Instant.now().isAfter(failoverAt)
                    ? Fault.FAILOVER
                    : kinds.get(random.nextInt(kinds.size()));
            say("fault: " + f);
            inject(f);
            injected.merge(f, 1, Integer::sum);
            sleep(5_000 + random.nextInt(15_000));
        }
    }

    private void inject(Fault f) throws Exception {
        switch (f) {
            case KILL_CAPTURE -> {
                run.destroyForcibly().waitFor();
                sleep(500 + random.nextInt(3_000));
                startRun();
            }
            case KILL_RECEIVEWAL -> killAll("pg_receivewal", spool.toString());
            case KILL_SNAPSHOT -> {
                Process snap = new ProcessBuilder(
                                "java",
                                "-jar",
                                fx.base.resolve("pitr.jar").toString(),
                                "--config",
                                fx.configFile.toString(),
                                "snapshot",
                                "create",
                                "--label",
                                "to-be-killed")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(
                                fx.base.resolve("snapshots.log").toFile()))
                        .start();
                sleep(1_500 + random.nextInt(4_000));
                snap.destroyForcibly().waitFor();
                killAll("pg_basebackup", "" + current.port());
            }
            case S3_FAULTS -> {
                s3.randomFaults(
                        new Random(random.nextLong()),
                        0.2,
                        List.of(FaultProxy.Fault.THROTTLE, FaultProxy.Fault.RESET_MID_BODY, FaultProxy.Fault.STALL));
                sleep(15_000 + random.nextInt(30_000));
                s3.randomFaults(new Random(random.nextLong()), 0, List.of());
            }
            case S3_OUTAGE -> {
                s3.outage(true);
                sleep(5_000 + random.nextInt(20_000));
                s3.outage(false);
            }
            case DYNAMODB_THROTTLING -> {
                dynamo.randomFaults(new Random(random.nextLong()), 0.3, List.of(FaultProxy.Fault.THROTTLE));
                sleep(15_000 + random.nextInt(30_000));
                dynamo.randomFaults(new Random(random.nextLong()), 0, List.of());
            }
            case DYNAMODB_OUTAGE -> {
                dynamo.outage(true);
                sleep(5_000 + random.nextInt(20_000));
                dynamo.outage(false);
            }
            case SPOOL_FULL -> {
                Path ballast = spool.resolve("ballast");
                fill(ballast, Files.getFileStore(spool).getUsableSpace() - 4 * MIB);
                sleep(10_000 + random.nextInt(20_000));
                Files.deleteIfExists(ballast);
            }
            case PRIMARY_CRASH -> {
                Processes.run(fx.tools.asPostgres(
                        "pg_ctl", "-D", current.dataDir().toString(), "-m", "immediate", "-w", "stop"));
                sleep(1_000 + random.nextInt(4_000));
                current.start();
            }
            case FAILOVER -> failover();
        }
    }

    /**
     * Writers paused and the standby caught up (it is synchronous, so every acknowledged commit is on it already), the
     * primary crashes for good and the standby is promoted; the new primary has no synchronous standby. The writers
     * pause so that no commit is in flight at the crash, which keeps every marker's expected presence exact; a
     * promotion of a standby that lagged behind capture is {@code CaptureForkIT}'s case.
     */
    private void failover() throws Exception {
        markersPaused.set(true);
        for (int i = 0; i < 200 && !pgbenchIdle.get(); i++) {
            sleep(100);
        }
        sleep(500);
        String lsn = current.queryOne("SELECT pg_current_wal_flush_lsn()");
        for (int i = 0;
                i < 600 && !"t".equals(standby.queryOne("SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'"));
                i++) {
            sleep(100);
        }
        Processes.run(
                fx.tools.asPostgres("pg_ctl", "-D", current.dataDir().toString(), "-m", "immediate", "-w", "stop"));
        standby.promote();
        for (int i = 0; i < 600 && !"f".equals(standby.queryOne("SELECT pg_is_in_recovery()")); i++) {
            sleep(100);
        }
        standby.execute("ALTER SYSTEM SET synchronous_standby_names = ''");
        standby.queryOne("SELECT pg_reload_conf()");
        current = standby;
        standby = null;
        markersPaused.set(false);
    }

    /** Every fault off, the spool empty of ballast, the primary up and {@code pitr run} running. */
    private void heal() throws Exception {
        s3.outage(false);
        dynamo.outage(false);
        s3.randomFaults(new Random(), 0, List.of());
        dynamo.randomFaults(new Random(), 0, List.of());
        Files.deleteIfExists(spool.resolve("ballast"));
        if (!current.running()) {
            current.start();
        }
        if (!run.isAlive()) {
            startRun();
        }
    }

    /** The writers stopped: the last segment switched out and archived, then {@code pitr run} stopped. */
    private void finish() throws Exception {
        // the server's own name for the segment: the last checkpoint's timeline is still the old one for a while after
        // a promotion, since PostgreSQL 15 promotes without a checkpoint
        String last = current.queryOne("SELECT pg_walfile_name(lsn - 1) FROM (SELECT pg_switch_wal() AS lsn) s");
        current.execute("CREATE TEMP TABLE IF NOT EXISTS nudge (x int)");
        boolean archived = false;
        Instant t0 = Instant.now();
        for (int i = 0; i < 3000 && !archived; i++) {
            try (Repository repo = fx.repository()) {
                archived = repo.catalog().segment(WalFileName.of(last)).isPresent();
            }
            sleep(archived ? 0 : 200);
        }
        record(
                "the last segment, " + last + ", archived after the faults ("
                        + Duration.between(t0, Instant.now()).toSeconds() + " s)",
                archived ? List.of() : List.of("not archived within 10 minutes; see " + fx.base.resolve("run.log")));
        stopRun();
    }

    // ---- checks

    private void verify() throws Exception {
        int shipped;
        try (Repository repo = fx.repository()) {
            List<SegmentRecord> segs = repo.catalog().allSegments();
            shipped = segs.size();
            Map<TimelineId, List<SegmentRecord>> byTimeline = segs.stream()
                    .collect(Collectors.groupingBy(s -> s.name().timeline(), TreeMap::new, Collectors.toList()));
            say("segments shipped: " + shipped + " ("
                    + byTimeline.entrySet().stream()
                            .map(e -> "timeline " + e.getKey() + ": "
                                    + e.getValue().size())
                            .collect(Collectors.joining(", "))
                    + ")");
            for (Map.Entry<TimelineId, List<SegmentRecord>> e : byTimeline.entrySet()) {
                List<String> problems = new ArrayList<>();
                Set<Long> seen = new TreeSet<>();
                long first = e.getValue().get(0).name().segno();
                long last = e.getValue().get(e.getValue().size() - 1).name().segno();
                e.getValue().forEach(s -> {
                    if (!seen.add(s.name().segno())) {
                        problems.add("duplicate " + s.name());
                    }
                });
                for (long n = first; n <= last; n++) {
                    if (!seen.contains(n)) {
                        problems.add("gap at segment " + Long.toHexString(n));
                    }
                }
                record(
                        "WAL continuity on timeline " + e.getKey() + " ("
                                + e.getValue().size() + " segments)",
                        problems);
            }
            List<String> bad = new ArrayList<>();
            for (SegmentRecord s : segs) {
                String sha = sum(repo, s.storageKey(), s.keyId() != null, s.checksum());
                if (!s.checksum().equals(sha)) {
                    bad.add(s.name() + ": " + sha);
                }
            }
            for (HistoryRecord h : repo.catalog().histories()) {
                String sha = sum(repo, h.storageKey(), false, h.sha256());
                if (!h.sha256().equals(sha)) {
                    bad.add(h.fileName() + ": " + sha);
                }
            }
            int complete = 0;
            for (SnapshotRecord s : repo.catalog().snapshots()) {
                if (s.status() == SnapshotRecord.Status.COMPLETE) {
                    complete++;
                    String sha = sum(repo, s.storageKey(), s.keyId() != null, s.sha256());
                    if (!s.sha256().equals(sha)) {
                        bad.add("snapshot " + s.id() + ": " + sha);
                    }
                }
            }
            Set<String> stored = new TreeSet<>(repo.storage().list("wal/"));
            for (SegmentRecord s : segs) {
                if (!stored.contains(s.storageKey())) {
                    bad.add(s.name() + " is in the catalog but not in storage");
                }
            }
            record(
                    "every object against its checksum (" + segs.size() + " segments, "
                            + repo.catalog().histories().size() + " history files, " + complete
                            + " complete snapshots of "
                            + repo.catalog().snapshots().size() + ")",
                    bad);
        }

        // markers: present on the surviving primary and acknowledged, or of unknown outcome
        Set<Integer> live = new TreeSet<>();
        try (Connection c = connectToPrimary();
                Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT id FROM marker")) {
            while (rs.next()) {
                live.add(rs.getInt(1));
            }
        }
        List<String> lost = markers.stream()
                .filter(m -> m.acked() && !live.contains(m.id()))
                .map(m -> "marker " + m.id() + " was acknowledged but is not on the primary")
                .toList();
        record(
                "every acknowledged marker is on the primary (" + markers.size() + " written, "
                        + markers.stream().filter(m -> !m.acked()).count() + " of unknown outcome)",
                lost);
        restore("the latest point", new String[] {"--latest"}, live);
        Instant windowStart;
        try (Repository repo = fx.repository()) {
            windowStart = repo.catalog().snapshots().stream()
                    .filter(s -> s.status() == SnapshotRecord.Status.COMPLETE)
                    .map(SnapshotRecord::stopTime)
                    .min(Instant::compareTo)
                    .orElseThrow();
        }
        List<Marker> candidates = new ArrayList<>();
        for (int i = 0; i + 1 < markers.size(); i++) {
            Marker m = markers.get(i);
            if (m.ended().isAfter(windowStart.plusSeconds(2))
                    && markers.get(i + 1).sent().isAfter(m.ended().plusMillis(20))) {
                candidates.add(m);
            }
        }
        for (int k = 0; k < 3; k++) {
            // one target in each third of the run
            int from = candidates.size() * k / 3;
            int to = candidates.size() * (k + 1) / 3;
            Marker m = candidates.get(from + random.nextInt(Math.max(1, to - from)));
            int next = markers.indexOf(m) + 1;
            Instant target = m.ended()
                    .plus(Duration.between(m.ended(), markers.get(next).sent()).dividedBy(2));
            Set<Integer> expected = new TreeSet<>();
            for (Marker x : markers.subList(0, next)) {
                if (live.contains(x.id())) {
                    expected.add(x.id());
                }
            }
            restore(target.toString(), new String[] {"--to", target.toString()}, expected);
        }
        say("segments shipped: " + shipped + "; restores verified: 4");
    }

    private void restore(String what, String[] target, Set<Integer> expected) {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        List<String> args = new ArrayList<>(List.of("restore"));
        args.addAll(List.of(target));
        args.addAll(List.of("--target-dir", dir.toString(), "--port", "" + port));
        long t0 = System.nanoTime();
        Cli.Run r = fx.cli(args.toArray(String[]::new));
        if (r.exitCode() != 0) {
            record("restore to " + what, List.of("restore failed: " + r));
            return;
        }
        Set<Integer> got = new TreeSet<>();
        LocalCluster restored = fx.restoredServer(dir, port);
        try (Connection c = restored.connect();
                Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT id FROM marker")) {
            while (rs.next()) {
                got.add(rs.getInt(1));
            }
        } catch (SQLException e) {
            record("restore to " + what, List.of(e.getMessage()));
            return;
        }
        Processes.run(fx.tools.asPostgres("pg_ctl", "-D", dir.toString(), "-m", "immediate", "-w", "stop"));
        List<String> problems = new ArrayList<>();
        Set<Integer> missing = new TreeSet<>(expected);
        missing.removeAll(got);
        Set<Integer> extra = new TreeSet<>(got);
        extra.removeAll(expected);
        if (!missing.isEmpty()) {
            problems.add("missing markers " + abbreviate(missing));
        }
        if (!extra.isEmpty()) {
            problems.add("markers after the target " + abbreviate(extra));
        }
        record(
                "restore to " + what + ": " + got.size() + " markers, as expected " + expected.size() + " (in "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms)",
                problems);
    }

    private static String abbreviate(Set<Integer> ids) {
        return ids.size() <= 20
                ? ids.toString()
                : ids.stream().limit(20).toList() + " and " + (ids.size() - 20) + " more";
    }

    private static String sum(Repository repo, String key, boolean encrypted, String like) throws IOException {
        Checksum sum = Checksum.like(like);
        try (InputStream in = sum.wrap(repo.codec().open(repo.storage(), key, encrypted))) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return sum.value();
    }

    private void record(String check, List<String> problems) {
        if (problems.isEmpty()) {
            passed++;
            results.add("PASS " + check);
            say("PASS " + check);
        } else {
            failed++;
            String line = "FAIL " + check + ": " + String.join("; ", problems.subList(0, Math.min(problems.size(), 10)))
                    + (problems.size() > 10 ? " and " + (problems.size() - 10) + " more" : "");
            results.add(line);
            say(line);
        }
    }

    // ---- processes and helpers

    private void startRun() throws IOException {
        run = new ProcessBuilder(
                        "java",
                        "-Xmx512m",
                        "-jar",
                        fx.base.resolve("pitr.jar").toString(),
                        "--config",
                        fx.configFile.toString(),
                        "run")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        fx.base.resolve("run.log").toFile()))
                .start();
    }

    private void stopRun() throws InterruptedException {
        if (run != null && run.isAlive()) {
            run.destroy();
            if (!run.waitFor(60, TimeUnit.SECONDS)) {
                run.destroyForcibly().waitFor();
            }
        }
    }

    /** SIGKILL for every {@code program} whose arguments mention {@code mentioning}. */
    private static void killAll(String program, String mentioning) {
        ProcessHandle.allProcesses()
                .filter(h -> h.info().command().orElse("").endsWith("/" + program))
                .filter(h -> String.join(" ", h.info().arguments().orElse(new String[0]))
                        .contains(mentioning))
                .forEach(ProcessHandle::destroyForcibly);
    }

    /** Ballast up to {@code bytes}; the filesystem filling up first is what was wanted. */
    private static void fill(Path file, long bytes) {
        try {
            ArchiveFixture.fill(file, bytes);
        } catch (IOException e) {
            // full
        }
    }

    private static Connection close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // going anyway
            }
        }
        return null;
    }

    private static Thread thread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void check(Processes.Result r, String what) {
        if (!r.ok()) {
            throw new IllegalStateException(what + " failed: " + r.output());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void say(String line) {
        System.out.println("[chaos " + Instant.now() + "] " + line);
        System.out.flush();
    }
}
