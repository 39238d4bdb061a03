package dev.pitr.cli;

import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.retention.ClusterRetention;
import dev.pitr.retention.RetentionPolicy;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Fails
@Command(
        name = "set",
        description = "Make this host's retention policy (its retention.* keys) the cluster's, which every runner"
                + " applies: 'pitr run' on any host and the retention function in AWS. Prints the policy before and"
                + " after.",
        footer = {"Example:", "  pitr retention set"})
final class RetentionSetCommand implements Callable<Integer> {

    @ParentCommand
    RetentionCommand retention;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Config config = retention.root.config();
        RetentionPolicy mine = config.configuredRetentionPolicy()
                .orElseThrow(() -> new PitrException(
                        ErrorCode.CONFIG_MISSING,
                        config.file() + " sets no retention.* key, so there is no policy of this host's to set",
                        "set retention.daily, retention.weekly, retention.monthly, retention.min_window or"
                                + " retention.grace in " + config.file()));
        PrintWriter out = spec.commandLine().getOut();
        try (Repository repo = Repository.open(config, false)) {
            Optional<RetentionPolicy> before = ClusterRetention.recorded(repo.catalog());
            ClusterRetention.set(repo.catalog(), mine);
            out.println("the cluster's retention policy was: "
                    + before.map(p -> p.describe() + " (" + p.zone() + ")").orElse("none recorded (the defaults)"));
            out.println("it is now: " + mine.describe() + " (" + mine.zone() + ")");
        }
        return 0;
    }
}
