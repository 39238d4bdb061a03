package dev.pitr.cli;

import dev.pitr.config.Repository;
import dev.pitr.restore.RestoreReports;
import dev.pitr.restore.RestoreWindow;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails
@Command(
        name = "restore-window",
        description = "Show the earliest and latest restorable time and LSN of every timeline, and every gap.",
        footer = {"Example:", "  pitr restore-window --json"})
final class RestoreWindowCommand implements Callable<Integer> {

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
        RestoreWindow w;
        try (Repository repo = Repository.open(root.config(), true)) {
            w = RestoreWindow.of(repo.catalog().forDisplay());
        }
        if (json) {
            RestoreReports.printWindowJson(w, spec.commandLine().getOut());
        } else {
            RestoreReports.printWindow(w, spec.commandLine().getOut());
        }
        return 0;
    }
}
