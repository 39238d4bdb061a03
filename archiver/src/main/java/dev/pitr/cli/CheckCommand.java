package dev.pitr.cli;

import dev.pitr.check.CheckService;
import dev.pitr.error.ErrorCode;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails(
        value = ErrorCode.CHECK_FAILED,
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.PRIMARY, Fails.Part.LOCAL_FILES})
@Command(
        name = "check",
        description = "Check every prerequisite of capture, snapshots and restores.",
        footer = {"Example:", "  pitr check --fix"})
final class CheckCommand implements Callable<Integer> {

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--fix", description = "Create the replication slot if it is missing.")
    boolean fix;

    @Override
    public Integer call() {
        List<CheckService.Result> results = new CheckService(root.config()).run(fix);
        PrintWriter out = spec.commandLine().getOut();
        ErrorCode first = null;
        for (CheckService.Result r : results) {
            out.printf("%-4s %-22s %s%n", r.ok() ? "ok" : "FAIL", r.name(), r.detail());
            if (!r.ok()) {
                out.println("     HINT: " + r.hint());
                if (first == null) {
                    first = r.code();
                }
            }
        }
        out.flush();
        return first == null ? 0 : first.exitCode();
    }
}
