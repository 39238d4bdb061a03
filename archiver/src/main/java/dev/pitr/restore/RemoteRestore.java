package dev.pitr.restore;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.restore.workflow.RestoreJob;
import dev.pitr.restore.workflow.TargetUnreachableException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.GetExecutionHistoryResponse;
import software.amazon.awssdk.services.sfn.model.HistoryEvent;

/**
 * {@code pitr restore --remote}: starts an execution of the deployed restore state machine and follows it until it
 * ends, printing each state entered, each failed attempt, the replay progress the agent records in the catalog, and
 * the outcome. The execution's name is the restore's id, so its record in the catalog is found by it.
 */
public final class RemoteRestore {

    /**
     * The error a refused target ends an execution with: the class's name, and the name it had in a state machine
     * deployed before the workflow moved into core, so that this CLI still exits 6 against such a stack.
     */
    private static final Set<String> UNREACHABLE =
            Set.of(TargetUnreachableException.class.getName(), "dev.pitr.functions.TargetUnreachableException");

    private final SfnClient sfn;
    private final String stateMachineArn;
    private final Catalog catalog;
    private final PrintWriter out;
    private final Duration poll;
    private final Duration pickup;
    private final boolean stopUnpicked;
    /** When a task was first seen scheduled and not yet taken (System.nanoTime), 0 when none waits. */
    private long waitingSince;

    private boolean warned;

    public RemoteRestore(SfnClient sfn, String stateMachineArn, Catalog catalog, PrintWriter out, Duration poll) {
        this(sfn, stateMachineArn, catalog, out, poll, Duration.ofSeconds(60), false);
    }

    /**
     * {@code pickup}: how long a task may wait for an agent before this says so; {@code stopUnpicked}: then also stop
     * the execution (the catalog records it failed) and throw, instead of waiting for the state machine's own pickup
     * time.
     */
    public RemoteRestore(
            SfnClient sfn,
            String stateMachineArn,
            Catalog catalog,
            PrintWriter out,
            Duration poll,
            Duration pickup,
            boolean stopUnpicked) {
        this.sfn = sfn;
        this.stateMachineArn = stateMachineArn;
        this.catalog = catalog;
        this.out = out;
        this.poll = poll;
        this.pickup = pickup;
        this.stopUnpicked = stopUnpicked;
    }

    /** Runs the restore remotely; returns the execution's output, or throws with its error and cause. */
    public String run(String id, RestoreRequest req) {
        ObjectNode input = RestoreJob.JSON.createObjectNode();
        input.set("request", RestoreJob.requestJson(id, req));
        String arn;
        try {
            arn = sfn.startExecution(
                            r -> r.stateMachineArn(stateMachineArn).name(id).input(input.toString()))
                    .executionArn();
        } catch (SdkException e) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "cannot start " + stateMachineArn + ": " + e.getMessage(),
                    "check stepfunctions.state_machine_arn, the region and the credentials",
                    e);
        }
        say("started " + arn);
        String token = null;
        long seen = 0;
        String progress = null;
        while (true) {
            GetExecutionHistoryResponse page;
            try {
                String t = token;
                page = sfn.getExecutionHistory(
                        r -> r.executionArn(arn).nextToken(t).maxResults(100));
            } catch (SdkException e) {
                say("cannot read the execution's history, will retry: " + e.getMessage());
                sleep();
                continue;
            }
            for (HistoryEvent e : page.events()) {
                // the last page is read again from its start until it fills: each event is said once
                if (e.id() != null) {
                    if (e.id() <= seen) {
                        continue;
                    }
                    seen = e.id();
                }
                String end = report(e);
                if (end != null) {
                    return end;
                }
            }
            if (page.nextToken() != null) {
                token = page.nextToken();
                continue;
            }
            progress = progress(id, progress);
            unpicked(arn);
            sleep();
        }
    }

    /** Says once when a task waited {@link #pickup} for an agent, and with {@link #stopUnpicked} stops the execution. */
    private void unpicked(String arn) {
        if (waitingSince == 0 || System.nanoTime() - waitingSince < pickup.toNanos()) {
            return;
        }
        String waited = "no agent has taken the restore host's step in " + pickup.toSeconds() + " s";
        if (!stopUnpicked) {
            if (!warned) {
                warned = true;
                say(waited + "; is 'pitr agent' running on the restore host, polling "
                        + "stepfunctions.activity_arn? (the state machine gives up after its pickup time)");
            }
            return;
        }
        try {
            sfn.stopExecution(r -> r.executionArn(arn).error("pitr.NoAgent").cause(waited));
        } catch (SdkException e) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED,
                    waited + ", and the execution cannot be stopped: " + e.getMessage(),
                    "stop " + arn + " in the Step Functions console",
                    e);
        }
        throw new PitrException(
                ErrorCode.RESTORE_FAILED,
                waited + "; stopped the execution " + arn,
                "start 'pitr agent' on the restore host (stepfunctions.activity_arn), then the restore again");
    }

    /** Prints one event; returns the output when the execution succeeded, throws when it ended otherwise. */
    private String report(HistoryEvent e) {
        switch (e.type()) {
            case TASK_STATE_ENTERED,
                    CHOICE_STATE_ENTERED,
                    PASS_STATE_ENTERED,
                    SUCCEED_STATE_ENTERED,
                    FAIL_STATE_ENTERED ->
                say("entered " + e.stateEnteredEventDetails().name());
            case ACTIVITY_SCHEDULED -> {
                if (waitingSince == 0) {
                    waitingSince = System.nanoTime();
                }
            }
            case ACTIVITY_STARTED -> waitingSince = 0;
            case ACTIVITY_FAILED ->
                say("  attempt failed: " + e.activityFailedEventDetails().error() + ": "
                        + e.activityFailedEventDetails().cause());
            case ACTIVITY_TIMED_OUT ->
                say("  attempt timed out: " + e.activityTimedOutEventDetails().error());
            case LAMBDA_FUNCTION_FAILED ->
                say("  attempt failed: " + e.lambdaFunctionFailedEventDetails().error() + ": "
                        + e.lambdaFunctionFailedEventDetails().cause());
            case EXECUTION_SUCCEEDED -> {
                say("restore succeeded");
                return e.executionSucceededEventDetails().output();
            }
            case EXECUTION_FAILED -> {
                String error = e.executionFailedEventDetails().error();
                String cause = e.executionFailedEventDetails().cause();
                throw new PitrException(
                        UNREACHABLE.contains(error) ? ErrorCode.TARGET_OUTSIDE_WINDOW : ErrorCode.RESTORE_FAILED,
                        "the restore failed with " + error + ": " + cause,
                        "the execution's history in the Step Functions console has every step");
            }
            case EXECUTION_TIMED_OUT, EXECUTION_ABORTED ->
                throw new PitrException(
                        ErrorCode.RESTORE_FAILED,
                        "the restore execution "
                                + (e.type().toString().contains("ABORTED") ? "was aborted" : "timed out"),
                        "start it again; the target directory is left as it is");
            default -> {
                // other events (scheduled, started, succeeded, heartbeats) say nothing an operator needs here
            }
        }
        return null;
    }

    /** The replay progress the agent records under the restore's id while it replays. */
    private String progress(String id, String last) {
        try {
            RestoreRecord r = catalog.restore(id).orElse(null);
            String seen = r == null ? null : r.outcome() + " " + r.stoppedAt() + " " + r.cause();
            if (r != null
                    && ("replaying".equals(r.outcome()) || "laying-down".equals(r.outcome()))
                    && !Objects.equals(seen, last)) {
                if (r.stoppedAt() != null) {
                    say("  replayed up to " + r.stoppedAt() + (r.cause() == null ? "" : " (" + r.cause() + ")"));
                } else if (r.cause() != null) {
                    say("  " + r.cause());
                }
                return seen;
            }
        } catch (PitrException e) {
            // progress is a courtesy; the execution's history is the truth
        }
        return last;
    }

    private void say(String s) {
        out.println(s);
        out.flush();
    }

    private void sleep() {
        try {
            Thread.sleep(poll.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PitrException(
                    ErrorCode.INTERRUPTED, "stopped following the restore", "it keeps running in Step Functions");
        }
    }
}
