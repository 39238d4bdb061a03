package dev.pitr.bench;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.DynamoDbCatalog;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.RetentionState;
import dev.pitr.catalog.SegmentIndex;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.restore.RestorePlan;
import dev.pitr.restore.RestorePlanner;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.RestoreWindow;
import dev.pitr.restore.TargetTimeline;
import dev.pitr.retention.Retention;
import dev.pitr.status.StatusService;
import dev.pitr.storage.LocalStorage;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalKeys;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * How the catalog's readers scale with the archive: fills a catalog with {@code n} synthetic, indexed 16 MiB
 * segments (a busy cluster's 5 s per segment, about 300 GB of WAL a day), across two timelines, with a snapshot a day
 * (at least four) and a gap of three missing segments early on timeline 1, then times what reads it: the restorable window, status, a restore plan to a
 * target 6 hours after a snapshot, and retention's dry run. For each it prints the wall time and the most heap the
 * JVM held while it ran (the pools' peak, reset before each), so the figures compare with the heaps the launcher
 * gives (128 MB capture, 512 MB run and agent).
 */
final class CatalogBenchmark {

    private static final long SEG = 16L << 20;
    private static final Duration PER_SEGMENT = Duration.ofSeconds(5);
    private static final int SEGMENTS_PER_DAY = 17_280;
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final int BATCH = 10_000;

    private final Path dir;
    private final PrintWriter out;

    CatalogBenchmark(Path dir, PrintWriter out) {
        this.dir = dir;
        this.out = out;
    }

    /** Fills and reads a SQLite catalog, and then ({@code dynamo}) one in DynamoDB Local. */
    void run(int n, boolean dynamo) throws Exception {
        Files.createDirectories(dir);
        Path file = dir.resolve("catalog-" + n + ".db");
        Files.deleteIfExists(file);
        try (SqliteCatalog catalog = SqliteCatalog.open(file)) {
            long t = System.nanoTime();
            Fill fill = fill(catalog, n);
            out.printf(
                    "sqlite catalog: %,d segments on 2 timelines, %d snapshots, a gap of 3; filled in %.1f s, %,d MB on"
                            + " disk%n",
                    n, fill.snapshots, (System.nanoTime() - t) / 1e9, Files.size(file) >> 20);
            readers(catalog, fill, null);
        }
        if (!dynamo) {
            return;
        }
        ReadMeter meter = new ReadMeter();
        try (LocalDynamo server = LocalDynamo.start();
                DynamoDbClient ddb = DynamoDbClient.builder()
                        .endpointOverride(server.endpoint())
                        .region(Region.US_EAST_1)
                        .credentialsProvider(
                                StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "benchsecret")))
                        .overrideConfiguration(c -> c.addExecutionInterceptor(meter))
                        .build()) {
            DynamoDbCatalog.createTable(ddb, "pitr");
            try (DynamoDbCatalog catalog = new DynamoDbCatalog(ddb, "pitr", "7300000000000000001")) {
                long t = System.nanoTime();
                Fill fill = fill(catalog, n);
                out.printf(
                        "dynamodb local catalog: the same %,d segments; filled in %.1f s%n",
                        n, (System.nanoTime() - t) / 1e9);
                readers(catalog, fill, meter);
            }
        }
    }

    /**
     * DynamoDB Local in a JVM of its own, so that the heap measured is the reader's alone: the benchmark's jar holds it,
     * its native library is in bench/target/test-servers.
     */
    private record LocalDynamo(Process process, int port) implements AutoCloseable {

        static LocalDynamo start() throws Exception {
            int port;
            try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
                port = free.getLocalPort();
            }
            Path home = Path.of(System.getProperty("pitr.home", "."));
            String jar = Path.of(CatalogBenchmark.class
                            .getProtectionDomain()
                            .getCodeSource()
                            .getLocation()
                            .toURI())
                    .toString();
            Process p = new ProcessBuilder(
                            "java",
                            "-Xmx2g",
                            "-Dsqlite4java.library.path=" + home.resolve("bench/target/test-servers/native"),
                            "-cp",
                            jar,
                            "com.amazonaws.services.dynamodbv2.local.main.ServerRunner",
                            "-inMemory",
                            "-port",
                            Integer.toString(port))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            for (int i = 0; i < 300; i++) {
                try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                    return new LocalDynamo(p, port);
                } catch (java.io.IOException notYet) {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("DynamoDB Local exited with " + p.exitValue());
                    }
                    Thread.sleep(100);
                }
            }
            p.destroyForcibly();
            throw new IllegalStateException("DynamoDB Local did not listen on port " + port + " within 30 s");
        }

        java.net.URI endpoint() {
            return java.net.URI.create("http://127.0.0.1:" + port);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor();
        }
    }

    private void readers(Catalog catalog, Fill fill, ReadMeter meter) throws Exception {
        Config config = Config.of(
                dir.resolve("pitr.yaml"),
                Map.of(Key.STORAGE_PATH, dir.resolve("repo").toString()));
        Clock clock = Clock.fixed(fill.end.plus(Duration.ofMinutes(1)), ZoneOffset.UTC);
        out.printf(
                "  %-34s %10s %12s %10s %12s%s%n",
                "reader",
                "seconds",
                "peak heap MB",
                "again s",
                "heap MB",
                meter == null ? "" : "   DynamoDB reads (once)");
        measure(
                "restore-window",
                meter,
                () -> RestoreWindow.of(catalog).timelines().size());
        measure(
                "status",
                meter,
                () -> StatusService.from(config, catalog, clock).status());
        measure("restore plan (6 h after a snapshot)", meter, () -> plan(catalog, fill));
        LocalStorage storage = new LocalStorage(Files.createDirectories(dir.resolve("repo")));
        measure(
                "retention --dry-run",
                meter,
                () -> new Retention(catalog, storage, config.retentionPolicy(), clock, line -> {}).apply(true));
    }

    private static RestorePlan plan(Catalog catalog, Fill fill) {
        Instant target = fill.lastSnapshotStop.plus(Duration.ofHours(6));
        if (target.isAfter(fill.end)) {
            target = fill.end.minus(PER_SEGMENT);
        }
        return RestorePlanner.plan(catalog, new RestoreTarget.Time(target), new TargetTimeline.Latest(), true, null);
    }

    /**
     * Runs {@code reader} twice: the first as a command would, with nothing loaded yet; the second warm. With a meter,
     * what the first read from DynamoDB.
     */
    private void measure(String what, ReadMeter meter, Callable<?> reader) throws Exception {
        if (meter != null) {
            meter.reset();
        }
        String first = once(reader);
        String reads = meter == null ? "" : "   " + meter.describe();
        out.printf("  %-34s %s %s%s%n", what, first, once(reader), reads);
        out.flush();
    }

    private String once(Callable<?> reader) throws Exception {
        System.gc();
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP)
                .toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long t = System.nanoTime();
        String outcome;
        try {
            reader.call();
            outcome = "";
        } catch (OutOfMemoryError e) {
            outcome = "  OutOfMemoryError";
        }
        double seconds = (System.nanoTime() - t) / 1e9;
        long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        return String.format("%10.2f %12d%s", seconds, peak >> 20, outcome);
    }

    /** What was filled in: how many snapshots, when the newest one became consistent, when the WAL ends. */
    private record Fill(int snapshots, Instant lastSnapshotStop, Instant end) {}

    /**
     * Timeline 1 holds the first 60% of the segments and timeline 2 the rest, branching where timeline 1 ends; three
     * segments of timeline 1 a tenth of the way in are missing; a snapshot starts every day's first segment.
     */
    private static Fill fill(Catalog catalog, int n) {
        TimelineId one = TimelineId.of(1);
        TimelineId two = TimelineId.of(2);
        long switchAt = 2 + (long) (n * 0.6);
        long gapAt = 2L + n / 10;
        // a snapshot a day, and at least four whatever the size
        long every = Math.max(1, Math.min(SEGMENTS_PER_DAY, n / 4));
        List<SegmentRecord> batch = new ArrayList<>(BATCH);
        int snapshots = 0;
        Instant lastStop = null;
        Instant end = T0;
        for (long i = 0; i < n; i++) {
            long segno = 2 + i;
            TimelineId tli = segno < switchAt ? one : two;
            if (tli.equals(one) && segno >= gapAt && segno < gapAt + 3) {
                continue;
            }
            SegmentName name = new SegmentName(tli, segno, SEG);
            Instant start = T0.plus(PER_SEGMENT.multipliedBy(i));
            end = start.plus(PER_SEGMENT);
            batch.add(new SegmentRecord(
                    name,
                    SEG,
                    SEG / 20,
                    "%064x".formatted(segno),
                    WalKeys.segment(name),
                    null,
                    end,
                    new SegmentIndex(
                            start.plusMillis(500),
                            end.minusMillis(500),
                            segno * 100,
                            segno * 100 + 99,
                            100,
                            List.of(),
                            null)));
            if (batch.size() == BATCH) {
                catalog.recordSegments(batch);
                batch.clear();
            }
            if (i % every == 0 && i + 1 < n) {
                lastStop = start.plusSeconds(2);
                catalog.createSnapshot(snapshot(name, start, lastStop));
                snapshots++;
            }
            if (segno == switchAt) {
                Lsn at = name.startLsn();
                catalog.recordHistory(new HistoryRecord(
                        two,
                        "1\t" + at + "\tno recovery target specified\n",
                        "%064x".formatted(0),
                        WalKeys.history(two),
                        100,
                        start));
            }
        }
        catalog.recordSegments(batch);
        return new Fill(snapshots, lastStop, end);
    }

    private static SnapshotRecord snapshot(SegmentName in, Instant start, Instant stop) {
        SnapshotId id = SnapshotId.at(start);
        return new SnapshotRecord(
                id,
                "daily",
                SnapshotRecord.Status.COMPLETE,
                in.timeline(),
                new Lsn(in.startLsn().value() + 0x28),
                new Lsn(in.startLsn().value() + 0x100),
                start,
                stop,
                in.walFileName(),
                in.walFileName(),
                1L << 30,
                1L << 28,
                "%064x".formatted(in.segno()),
                "snapshots/" + id + "/base.tar.zst",
                null,
                null,
                RetentionState.RETAINED);
    }
}
