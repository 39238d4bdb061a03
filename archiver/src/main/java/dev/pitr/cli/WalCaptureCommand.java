package dev.pitr.cli;

import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Primary;
import dev.pitr.wal.CaptureService;
import dev.pitr.wal.PartialShipper;
import dev.pitr.wal.WalShipper;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(value = {ErrorCode.LEASE_HELD, ErrorCode.CHECK_FAILED, ErrorCode.WRONG_CLUSTER, ErrorCode.ARCHIVE_CONFLICT, ErrorCode.INTERRUPTED}, uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.PRIMARY, Fails.Part.LOCAL_FILES})
@Command(
    name = "capture", description = "Stream WAL from the replication slot and ship every completed segment (runs until SIGTERM).",
    footer = {"Example:", "  pitr --config /etc/pitr/pitr.yaml wal capture"})
final class WalCaptureCommand implements Callable<Integer> {

  @ParentCommand WalCommand wal;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    Config config = wal.root.config();
    try (Repository repo = Repository.open(config, false)) {
      CaptureService service =
          new CaptureService(
              PgTools.from(config), Primary.from(config), config.require(Key.WAL_SLOT),
              config.requirePath(Key.WAL_SPOOL_DIR), new WalShipper(repo, Clock.systemUTC(), config.requireInt(Key.WAL_SHIP_PARALLELISM)),
              Duration.ofMillis(config.requireInt(Key.WAL_POLL_MILLIS)),
              Duration.ofSeconds(config.requireInt(Key.CATALOG_LEASE_SECONDS)), spec.commandLine().getErr());
      if (config.requireBoolean(Key.WAL_SHIP_PARTIAL)) {
        service.shippingPartials(new PartialShipper(repo, Clock.systemUTC()));
      }
      Thread hook =
          new Thread(
              () -> {
                service.requestStop();
                try {
                  service.awaitStopped(Duration.ofMinutes(2));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      Runtime.getRuntime().addShutdownHook(hook);
      service.run();
      if (service.lostLease().isPresent()) {
        throw service.lostLease().get();
      }
      return 0;
    }
  }
}
