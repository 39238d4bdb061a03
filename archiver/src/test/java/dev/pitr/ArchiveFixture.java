package dev.pitr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pitr.aws.DynamoDbLocalServer;
import dev.pitr.aws.S3ProxyServer;
import dev.pitr.catalog.DynamoDbCatalog;
import dev.pitr.cli.Cli;
import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Processes;
import dev.pitr.restore.RestoreService;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
  public final PgTools tools = new PgTools(Path.of("/usr/lib/postgresql/15/bin"), "postgres");
  private final Path jar;
  private int targets;
  private Process capture;

  /** Where the archive lives. */
  public enum Backend {
    /** The embedded default: a local directory and a SQLite catalog. */
    LOCAL,
    /** S3 (S3Proxy) and DynamoDB (DynamoDB Local), both real servers on 127.0.0.1 started for this fixture. */
    AWS
  }

  public final Backend backend;
  private S3ProxyServer s3;
  private DynamoDbLocalServer dynamo;

  public ArchiveFixture(String name) {
    this(name, Backend.LOCAL);
  }

  public ArchiveFixture(String name, Backend backend) {
    this.backend = backend;
    try {
      base = Files.createTempDirectory(Path.of("/tmp"), "pitr-it-" + name + "-");
      Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path builtJar = Path.of(System.getProperty("pitr.jar", "target/pitr.jar")).toAbsolutePath();
      jar = Files.copy(builtJar, base.resolve("pitr.jar"));
      int port = LocalCluster.freePort();
      primary = LocalCluster.init(tools, base.resolve("primary"), port).start();
      configFile = base.resolve("pitr.yaml");
      Files.writeString(
          configFile,
          "primary:\n  host: 127.0.0.1\n  port: " + port + "\n  user: postgres\n"
              + "wal:\n  spool_dir: spool\n  poll_millis: 100\n"
              + repositoryYaml()
              + "snapshot:\n  wal_timeout_seconds: 120\n"
              + "restore:\n  pitr_command: '" + RestoreService.pitrCommand(jar) + "'\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String repositoryYaml() {
    if (backend == Backend.LOCAL) {
      return "storage:\n  path: repo\n";
    }
    s3 = S3ProxyServer.start();
    s3.createBucket("pitr-archive");
    dynamo = DynamoDbLocalServer.start();
    try (var ddb = dynamo.client()) {
      DynamoDbCatalog.createTable(ddb, "pitr-catalog");
    }
    return "storage:\n  type: s3\n  bucket: pitr-archive\n  prefix: it\n  endpoint: " + s3.endpoint() + "\n"
        + "  part_size_mb: 5\n  request_timeout_seconds: 10\n"
        + "catalog:\n  type: dynamodb\n  table: pitr-catalog\n  endpoint: " + dynamo.endpoint() + "\n"
        + "  cluster: '" + primary.queryOne("SELECT system_identifier FROM pg_control_system()") + "'\n"
        + "aws:\n  access_key_id: " + S3ProxyServer.ACCESS_KEY + "\n  secret_access_key: " + S3ProxyServer.SECRET_KEY
        + "\n";
  }

  /** Points the configuration at other endpoints (fault proxies) with a short request timeout. */
  public void routeThrough(java.net.URI s3Endpoint, java.net.URI dynamoEndpoint, int timeoutSeconds) {
    try {
      String yaml = Files.readString(configFile);
      yaml = yaml.replace("endpoint: " + s3.endpoint(), "endpoint: " + s3Endpoint)
          .replace("endpoint: " + dynamo.endpoint(), "endpoint: " + dynamoEndpoint)
          .replace("request_timeout_seconds: 10", "request_timeout_seconds: " + timeoutSeconds);
      Files.writeString(configFile, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public S3ProxyServer s3() {
    return s3;
  }

  public DynamoDbLocalServer dynamo() {
    return dynamo;
  }

  /** The archive's repository, opened the way the CLI opens it; the caller closes it. */
  public Repository repository() {
    return Repository.open(config(), backend == Backend.LOCAL && Files.exists(base.resolve("catalog.db")));
  }

  public Cli.Run cli(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--config";
    all[1] = configFile.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return Cli.run(Map.of(), all);
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
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + " failed:\n" + r);
    return r;
  }

  public void startCapture() {
    try {
      capture =
          new ProcessBuilder("java", "-jar", jar.toString(), "--config", configFile.toString(), "wal", "capture")
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
    SegmentName seg = SegmentName.containing(TimelineId.of(1), new Lsn(lsn.value() - 1), 16L << 20);
    for (int i = 0; i < 1200; i++) {
      if (backend != Backend.LOCAL || Files.exists(base.resolve("catalog.db"))) {
        try (Repository r = repository()) {
          if (r.catalog().segment(seg.fileName()).isPresent()) {
            return;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("segment " + seg + " was not archived within 120 s\n" + captureLog());
  }

  /** A fresh, not yet existing directory for a restore; whatever runs there is stopped when the fixture closes. */
  public Path newTargetDir() {
    return base.resolve("restore-" + (++targets));
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
    if (s3 != null) {
      s3.close();
    }
    if (dynamo != null) {
      dynamo.close();
    }
    if (!Boolean.getBoolean("pitr.keep")) {
      Processes.run(List.of("rm", "-rf", base.toString()));
    }
  }
}
