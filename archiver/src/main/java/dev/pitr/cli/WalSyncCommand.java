package dev.pitr.cli;

import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.wal.SpoolLock;
import dev.pitr.wal.WalShipper;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(
        value = {
            ErrorCode.LEASE_HELD,
            ErrorCode.WRONG_CLUSTER,
            ErrorCode.UNSUPPORTED_VERSION,
            ErrorCode.ARCHIVE_CONFLICT,
            ErrorCode.CORRUPT_OBJECT
        },
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.LOCAL_FILES})
@Command(
        name = "sync",
        description = "Ship, once, every completed WAL file in the spool.",
        footer = {"Example:", "  pitr wal sync"})
final class WalSyncCommand implements Callable<Integer> {

    @ParentCommand
    WalCommand wal;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Config config = wal.root.config();
        try (Repository repo = Repository.open(config, false);
                SpoolLock lock = SpoolLock.acquire(config.requirePath(Key.WAL_SPOOL_DIR))) {
            List<WalShipper.Shipped> shipped = new WalShipper(
                            repo, Clock.systemUTC(), config.requireInt(Key.WAL_SHIP_PARALLELISM))
                    .shipSpool(config.requirePath(Key.WAL_SPOOL_DIR));
            PrintWriter out = spec.commandLine().getOut();
            long archived = shipped.stream()
                    .filter(s -> s.outcome() == WalShipper.Outcome.ARCHIVED)
                    .count();
            out.println("shipped " + shipped.size() + " file(s): " + archived + " archived, "
                    + (shipped.size() - archived) + " already archived");
            out.flush();
            return 0;
        }
    }
}
