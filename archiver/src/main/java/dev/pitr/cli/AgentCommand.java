package dev.pitr.cli;

import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.config.StepFunctions;
import dev.pitr.drill.DrillSteps;
import dev.pitr.error.ErrorCode;
import dev.pitr.postgres.PgTools;
import dev.pitr.restore.ActivitySteps;
import dev.pitr.restore.ActivityWorker;
import dev.pitr.restore.AgentLimits;
import dev.pitr.restore.RestoreSteps;
import dev.pitr.restore.StdioAgent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.sfn.SfnClient;

@Fails(
        value = {
            ErrorCode.RESTORE_FAILED,
            ErrorCode.TARGET_DIR_NOT_EMPTY,
            ErrorCode.TARGET_DIR_REFUSED,
            ErrorCode.WAL_GAP,
            ErrorCode.INTERRUPTED
        },
        uses = {Fails.Part.CONFIG, Fails.Part.REPOSITORY, Fails.Part.PRIMARY, Fails.Part.LOCAL_FILES})
@Command(
        name = "agent",
        description =
                "Run the restore host's steps of the restore state machine (prepare, fetch the snapshot, write the "
                        + "recovery config, replay, verify), and restore drills where agent.drills is true: poll the Step Functions"
                        + " activity, or serve a local runner with --stdio.",
        footer = {"Example:", "  pitr --config /etc/pitr/pitr.yaml agent"})
final class AgentCommand implements Callable<Integer> {

    @ParentCommand
    PitrCommand root;

    @Spec
    CommandSpec spec;

    @Option(names = "--stdio", description = "Take steps as JSON lines on stdin and answer on stdout.")
    boolean stdio;

    @Option(
            names = "--heartbeat-seconds",
            paramLabel = "N",
            description = "Seconds between heartbeats (default: ${DEFAULT-VALUE}).")
    double heartbeatSeconds = 10;

    @Option(names = "--tasks", paramLabel = "N", description = "Exit after N tasks (default: run until stopped).")
    int tasks;

    @Override
    public Integer call() throws Exception {
        Config config = root.config();
        try (Repository repo = Repository.open(config, false)) {
            RestoreSteps restoreSteps = new RestoreSteps(
                    config,
                    repo,
                    PgTools.from(config),
                    Clock.systemUTC(),
                    spec.commandLine().getErr());
            String host = InetAddress.getLocalHost().getHostName();
            ActivitySteps steps = new ActivitySteps(
                    repo,
                    restoreSteps,
                    AgentLimits.from(config),
                    host,
                    // drills restore production's data on this host: only where its operator said so
                    config.requireBoolean(Key.AGENT_DRILLS)
                            ? new DrillSteps(
                                    config,
                                    PgTools.from(config),
                                    spec.commandLine().getErr())
                            : null);
            Duration stall = Duration.ofSeconds(config.requireInt(Key.AGENT_STALL_SECONDS));
            if (stdio) {
                new StdioAgent(steps, heartbeat(), stall)
                        .run(
                                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                                new PrintWriter(System.out, true, StandardCharsets.UTF_8));
                return 0;
            }
            String arn = StepFunctions.arn(config, Key.STEPFUNCTIONS_ACTIVITY_ARN);
            // GetActivityTask holds the connection up to 60 s waiting for a task
            try (SfnClient sfn = StepFunctions.client(config, Duration.ofSeconds(70))) {
                ActivityWorker worker = new ActivityWorker(
                        sfn,
                        arn,
                        host,
                        steps,
                        heartbeat(),
                        stall,
                        spec.commandLine().getErr());
                // SIGTERM (systemd, docker stop): fail the step in flight and stop the server it started, now
                Runtime.getRuntime()
                        .addShutdownHook(new Thread(() -> worker.stopNow("the agent on " + host + " was stopped")));
                worker.run(tasks);
            }
        }
        return 0;
    }

    private Duration heartbeat() {
        if (!(heartbeatSeconds >= 0.05 && heartbeatSeconds <= 50)) {
            throw new dev.pitr.error.PitrException(
                    ErrorCode.USAGE,
                    "--heartbeat-seconds must be 0.05 to 50, got " + heartbeatSeconds,
                    "the state machine's steps expect a heartbeat within 60 s; 10 is the default");
        }
        return Duration.ofMillis(Math.round(heartbeatSeconds * 1000));
    }
}
