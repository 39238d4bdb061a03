package dev.pitr.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.pitr.catalog.ObjectDescriptions;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Repository;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails
@Command(
        name = "list",
        description = "List snapshots, oldest first.",
        footer = {"Example:", "  pitr snapshot list --json"})
final class SnapshotListCommand implements Callable<Integer> {

    @ParentCommand
    SnapshotCommand snapshot;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<SnapshotRecord> all;
        try (Repository repo = Repository.open(snapshot.root.config(), true)) {
            all = repo.catalog().snapshots();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper m = new ObjectMapper();
            ArrayNode arr = m.createArrayNode();
            for (SnapshotRecord s : all) {
                arr.add(ObjectDescriptions.snapshotJson(s));
            }
            out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
        } else {
            out.printf(
                    "%-18s %-9s %-4s %-12s %-12s %-25s %12s  %s%n",
                    "ID", "STATUS", "TLI", "START LSN", "STOP LSN", "STOP TIME", "BYTES", "LABEL");
            for (SnapshotRecord s : all) {
                out.printf(
                        "%-18s %-9s %-4s %-12s %-12s %-25s %12d  %s%n",
                        s.id(),
                        s.status().name().toLowerCase(Locale.ROOT),
                        s.timeline(),
                        s.startLsn(),
                        s.stopLsn(),
                        s.stopTime(),
                        s.storedSize(),
                        s.label() == null ? "" : s.label());
            }
        }
        out.flush();
        return 0;
    }
}
