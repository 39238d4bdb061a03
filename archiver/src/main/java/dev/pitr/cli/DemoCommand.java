package dev.pitr.cli;

import dev.pitr.demo.Demo;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Fails(
        value = {ErrorCode.RESTORE_FAILED, ErrorCode.BACKUP_FAILED},
        uses = {Fails.Part.PRIMARY, Fails.Part.LOCAL_FILES})
@Command(
        name = "demo",
        description = "Run capture, snapshot and a point-in-time restore on a throwaway local PostgreSQL.",
        footer = {"Example:", "  ./pitr demo"})
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "Working directory, wiped first (default: $TMPDIR/pitr-demo, here ${DEFAULT-VALUE}).")
    Path dir = Path.of(System.getenv().getOrDefault("TMPDIR", "/tmp"), "pitr-demo");

    @Override
    public Integer call() throws Exception {
        if (!new Demo(dir, spec.commandLine().getOut()).run()) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED,
                    "the restored database does not hold exactly the rows committed at or before the target",
                    "read the restored server's log, " + dir.resolve("restored").resolve("pitr-restore.log"));
        }
        return 0;
    }
}
