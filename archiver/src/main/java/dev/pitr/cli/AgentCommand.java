package dev.pitr.cli;

import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.PgTools;
import dev.pitr.restore.ActivitySteps;
import dev.pitr.restore.RestoreSteps;
import dev.pitr.restore.StdioAgent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

@Command(
    name = "agent",
    description = "Run the restore host's steps of the restore state machine (prepare, fetch the snapshot, write the "
        + "recovery config, replay, verify) for a state machine runner.")
final class AgentCommand implements Callable<Integer> {

  @ParentCommand PitrCommand root;
  @Spec CommandSpec spec;

  @Option(names = "--stdio", description = "Take steps as JSON lines on stdin and answer on stdout.")
  boolean stdio;

  @Option(names = "--heartbeat-seconds", paramLabel = "N", description = "Seconds between heartbeats (default 10).")
  long heartbeatSeconds = 10;

  @Override
  public Integer call() throws Exception {
    if (!stdio) {
      throw new PitrException(ErrorCode.USAGE, "only --stdio is available so far",
          "run the agent with --stdio under a state machine runner");
    }
    Config config = root.config();
    try (Repository repo = Repository.open(config, false)) {
      RestoreSteps steps = new RestoreSteps(config, repo, PgTools.from(config), Clock.systemUTC(), spec.commandLine().getErr());
      new StdioAgent(new ActivitySteps(repo, steps), heartbeatSeconds).run(
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
          new PrintWriter(System.out, true, StandardCharsets.UTF_8));
    }
    return 0;
  }
}
