package dev.pitr.bench;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The benchmarks, run by {@code ./pitr bench}: a program of their own beside the product, never part of pitr.jar. Each
 * prints its figures against the baseline it names, in the same run.
 */
@Command(
        name = "pitr bench",
        mixinStandardHelpOptions = true,
        version = "pitr bench 0.1.0",
        description =
                "Benchmarks on a throwaway local PostgreSQL: ship | restore (against cp), ship-s3 (S3 against local"
                        + " storage), encrypt (against compress-only), peers (against pgBackRest and cp; bench/run.sh);"
                        + " catalog (the catalog's readers at --segments synthetic segments, no PostgreSQL); and"
                        + " partial (the requests shipping the segment being written costs under pgbench, --seconds);"
                        + " incremental (full, block-level and native incremental snapshots of a pgbench database,"
                        + " --scale, --postgres-bin); recovery-time (snapshots by snapshot.max_recovery_time under"
                        + " pgbench for --seconds, then a restore to the latest point timed against the bound,"
                        + " --max-recovery-seconds, --scale).",
        footerHeading = "%n",
        footer = {"Example:", "  ./pitr bench ship --segments 64"})
public final class BenchMain implements Callable<Integer> {

    /** The benchmarks there are. */
    enum Which {
        ship,
        restore,
        ship_s3,
        encrypt,
        peers,
        catalog,
        partial,
        incremental,
        recovery_time
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new BenchMain());
        cl.registerConverter(Which.class, v -> {
            try {
                return Which.valueOf(v.replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("unknown benchmark '" + v + "'");
            }
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("error: " + ex.getMessage());
            ex.getCommandLine().getErr().println("HINT: run './pitr bench --help'");
            return 2;
        });
        System.exit(cl.execute(args));
    }

    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "ship|restore|ship-s3|encrypt|peers|catalog|partial|incremental|recovery-time",
            description = "The benchmark to run.")
    Which which;

    @Option(
            names = "--segments",
            paramLabel = "N",
            description = "How many 16 MiB segments of WAL (default: ${DEFAULT-VALUE}).")
    int segments = 64;

    @Option(
            names = "--inflight",
            paramLabel = "N",
            description = "ship-s3: uploads in flight for the parallel run (default: ${DEFAULT-VALUE}).")
    int inflight = 4;

    @Option(
            names = "--endpoint",
            paramLabel = "URL",
            description = "ship-s3: an S3 API to use instead of starting S3Proxy.")
    java.net.URI endpoint;

    @Option(
            names = "--s3proxy-jar",
            paramLabel = "JAR",
            description = "ship-s3: the S3Proxy jar (default: ${DEFAULT-VALUE}).")
    Path s3proxyJar = Path.of(System.getProperty("pitr.home", "."), "aws/target/test-servers/s3proxy.jar");

    @Option(
            names = "--encrypt",
            description = "ship, restore, ship-s3: archive with encryption on (a key file made for the run).")
    boolean encrypt;

    @Option(
            names = "--scale",
            paramLabel = "N",
            description = "peers, incremental: pgbench scale of the database snapshotted (default: ${DEFAULT-VALUE}).")
    int scale = 100;

    @Option(
            names = "--postgres-bin",
            paramLabel = "DIR",
            description = "incremental: the server programs to run (default: the newest in /usr/lib/postgresql/*/bin);"
                    + " native incrementals need 17 or later.")
    Path postgresBin;

    @Option(
            names = "--rounds",
            paramLabel = "N",
            description =
                    "peers: interleaved rounds of each comparison; the medians decide (default: ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(
            names = "--pgbackrest",
            paramLabel = "PROGRAM",
            description = "peers: the pgBackRest program to compare against (bench/run.sh gives Debian 13's, the newest"
                    + " it installs; default: ${DEFAULT-VALUE}, from PATH).")
    String pgbackrest = "pgbackrest";

    @Option(
            names = "--json",
            paramLabel = "FILE",
            description = "peers: where the figures are written as JSON (default: ${DEFAULT-VALUE}).")
    Path json = Path.of(System.getProperty("pitr.home", "."), "bench/results.json");

    @Option(
            names = "--sqlite-only",
            description = "catalog: fill and read the SQLite catalog only, not DynamoDB Local as well.")
    boolean sqliteOnly;

    @Option(
            names = "--seconds",
            paramLabel = "S",
            description = "partial: how long pgbench runs for each setting (default: ${DEFAULT-VALUE}).")
    int seconds = 60;

    @Option(
            names = "--max-recovery-seconds",
            paramLabel = "S",
            description = "recovery-time: snapshot.max_recovery_time in seconds (default: ${DEFAULT-VALUE}).")
    int maxRecoverySeconds = 30;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "Working directory, wiped first (default: ${DEFAULT-VALUE}).")
    Path dir = Path.of(System.getenv().getOrDefault("TMPDIR", "/tmp"), "pitr-bench");

    @Override
    public Integer call() throws Exception {
        Benchmarks b = new Benchmarks(dir, spec.commandLine().getOut()).encrypted(encrypt);
        switch (which) {
            case ship -> b.ship(segments);
            case restore -> b.restore(segments);
            case ship_s3 -> b.shipS3(segments, inflight, endpoint, s3proxyJar);
            case encrypt -> b.encrypt(segments);
            case peers -> b.encrypted(true).peers(scale, segments, rounds, json, pgbackrest);
            case catalog -> new CatalogBenchmark(dir, spec.commandLine().getOut()).run(segments, !sqliteOnly);
            case partial -> new PartialBenchmark(b).run(seconds);
            case incremental -> new IncrementalBenchmark(b).run(scale, postgresBin);
            case recovery_time -> new RecoveryTimeBenchmark(b).run(seconds, maxRecoverySeconds, scale);
            default -> throw new IllegalStateException("no benchmark " + which);
        }
        return 0;
    }
}
