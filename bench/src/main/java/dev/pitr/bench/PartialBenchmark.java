package dev.pitr.bench;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.SegmentBlock;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.storage.Storage;
import dev.pitr.wal.CaptureService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What shipping the segment being written costs in requests: capture runs against a throwaway primary under pgbench
 * ({@code -c 4 -j 2}, synchronous commit) for {@code seconds}, once shipping it on every pass ({@code
 * wal.partial_interval_millis: 0}) and once at the default; every storage and catalog call capture makes is counted, as
 * the requests an S3 API and DynamoDB would get (a delete of many keys is one request per thousand).
 */
final class PartialBenchmark {

    private final Benchmarks b;

    PartialBenchmark(Benchmarks b) {
        this.b = b;
    }

    void run(int seconds) throws Exception {
        String dflt = Key.WAL_PARTIAL_INTERVAL_MILLIS.defaultValue().orElseThrow();
        for (String interval : List.of("0", dflt)) {
            b.reset();
            int port = LocalCluster.freePort();
            Config config = b.config(port, Map.of(Key.WAL_PARTIAL_INTERVAL_MILLIS, interval));
            PgTools tools = PgTools.from(config).newestInstalled();
            Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
            try (LocalCluster primary = LocalCluster.init(tools, b.base().resolve("primary"), port);
                    Repository opened = Repository.open(config, false)) {
                Benchmarks.appendConf(primary, "max_wal_size = '4GB'\ncheckpoint_timeout = '1h'\n");
                primary.start();
                primary.execute("SELECT pg_create_physical_replication_slot('" + config.require(Key.WAL_SLOT) + "')");
                pgbench(tools, port, "-i", "-q", "-s", "10");
                Repository repo = new Repository(
                        counting(Storage.class, opened.storage(), "storage.", calls),
                        counting(Catalog.class, opened.catalog(), "catalog.", calls),
                        opened.codec());
                CaptureService capture =
                        CaptureService.from(config, repo, Clock.systemUTC(), new PrintWriter(new StringWriter()));
                Thread t = new Thread(capture::run, "capture");
                t.start();
                Thread.sleep(5000);
                calls.clear();
                long t0 = System.nanoTime();
                Process load = start(tools, port, "-n", "-T", Integer.toString(seconds), "-c", "4", "-j", "2");
                List<Double> ages = recoveryPoint(load, primary, opened.catalog());
                if (load.waitFor() != 0) {
                    throw new IllegalStateException(
                            "pgbench failed; see " + b.base().resolve("pgbench.log"));
                }
                double minutes = (System.nanoTime() - t0) / 60e9;
                Map<String, AtomicLong> during = new TreeMap<>(calls);
                capture.requestStop();
                t.join();
                b.say(String.format(
                        "wal.partial_interval_millis: %s, pgbench %d s; calls per minute while WAL flowed:",
                        interval, seconds));
                during.forEach((k, v) -> b.say(String.format("  %-28s %8.0f", k, v.get() / minutes)));
                Map<String, Double> p = PeerBenchmark.percentiles(ages);
                b.say(String.format(
                        "  recovery point p50 / p99 / max: %.2f / %.2f / %.2f s (%d samples, every 100 ms)",
                        p.get("p50"), p.get("p99"), p.get("max"), ages.size()));
            }
        }
    }

    /**
     * While {@code load} runs, every 100 ms: how old the newest archived WAL byte is (the complete segments and the one
     * being written as shipped), from when the primary had written that far.
     */
    private static List<Double> recoveryPoint(Process load, LocalCluster primary, Catalog catalog) throws Exception {
        List<long[]> written = new java.util.ArrayList<>();
        List<Double> ages = new java.util.ArrayList<>();
        Thread.sleep(2000);
        while (load.isAlive()) {
            long now = System.nanoTime();
            written.add(new long[] {now, Long.parseLong(primary.queryOne("SELECT pg_current_wal_lsn() - '0/0'"))});
            long end = 0;
            for (SegmentBlock x : catalog.segmentBlocks()) {
                if (x.newest() != null) {
                    end = Math.max(end, x.newest().endLsn().value());
                }
            }
            for (PartialSegment x : catalog.partials()) {
                end = Math.max(end, x.endLsn().value());
            }
            ages.add(PeerBenchmark.age(written, now, end));
            Thread.sleep(Math.max(1, 100 - (System.nanoTime() - now) / 1_000_000));
        }
        return ages;
    }

    private Process start(PgTools tools, int port, String... args) throws Exception {
        return start(b, tools, port, args);
    }

    /** pgbench against the benchmark's primary, its output into {@code pgbench.log}. */
    static Process start(Benchmarks b, PgTools tools, int port, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(args));
        cmd.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "postgres"));
        return new ProcessBuilder(tools.asPostgres("pgbench", cmd.toArray(String[]::new)))
                .redirectErrorStream(true)
                .redirectOutput(b.base().resolve("pgbench.log").toFile())
                .start();
    }

    private void pgbench(PgTools tools, int port, String... args) throws Exception {
        pgbench(b, tools, port, args);
    }

    /** pgbench run to its end; a failure throws. */
    static void pgbench(Benchmarks b, PgTools tools, int port, String... args) throws Exception {
        Process p = start(b, tools, port, args);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("pgbench failed; see " + b.base().resolve("pgbench.log"));
        }
    }

    /** {@code target} behind a proxy that counts each call by method (a batch delete by its thousands of keys). */
    private static <T> T counting(Class<T> type, T target, String prefix, Map<String, AtomicLong> calls) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            long n = 1;
            if (m.getName().equals("deleteAll") && args[0] instanceof List<?> keys) {
                n = (keys.size() + 999L) / 1000;
            }
            if (!isObjectMethod(m)) {
                calls.computeIfAbsent(prefix + m.getName(), k -> new AtomicLong())
                        .addAndGet(n);
            }
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }));
    }

    private static boolean isObjectMethod(Method m) {
        return m.getDeclaringClass() == Object.class;
    }
}
