package dev.pitr.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.restore.workflow.RestoreJob;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.GetActivityTaskResponse;
import software.amazon.awssdk.services.sfn.model.InvalidTokenException;
import software.amazon.awssdk.services.sfn.model.TaskTimedOutException;

/**
 * {@code pitr agent}: the restore host's worker for the state machine's activity. It long-polls GetActivityTask, runs
 * the step it is handed ({@link ActivitySteps}), sends SendTaskHeartbeat while the step makes progress ({@link
 * StepHeartbeat}; each call gives up within the heartbeat interval, well inside the state machine's window), and
 * reports with SendTaskSuccess or SendTaskFailure (the error named by the exception's class, as the state machine's
 * Retry and Catch expect). Stopped ({@link #stopNow}, on SIGTERM), it fails the task it holds and stops the server the
 * step started. Every call is outbound: a restore host needs no inbound access.
 */
public final class ActivityWorker {

    /** Runs one step's input to its output; {@link ActivitySteps} in production. */
    public interface Steps {
        /** Runs the step, calling {@code progress} whenever it moves forward. */
        ObjectNode run(JsonNode input, Runnable progress);

        /** Stops what the step in flight started (the restored server); the agent is being stopped. */
        default void abort() {}
    }

    /** The error a task fails with when the agent is stopped while running it. */
    public static final String AGENT_STOPPED = "pitr.AgentStopped";

    /** Step Functions' limits on a failure's error name and cause. */
    static final int MAX_ERROR = 256;

    static final int MAX_CAUSE = 32768;

    /** The task being run: reported once, by the step's end or by {@link #stopNow}, whichever comes first. */
    private record InFlight(String token, String step, AtomicBoolean reported) {}

    private final SfnClient sfn;
    private final String activityArn;
    private final String workerName;
    private final Steps steps;
    private final Duration heartbeat;
    private final Duration stall;
    private final PrintWriter log;
    private volatile boolean stopping;
    private volatile InFlight current;

    public ActivityWorker(
            SfnClient sfn,
            String activityArn,
            String workerName,
            Steps steps,
            Duration heartbeat,
            Duration stall,
            PrintWriter log) {
        this.sfn = sfn;
        this.activityArn = activityArn;
        this.workerName = workerName;
        this.steps = steps;
        this.heartbeat = heartbeat;
        this.stall = stall;
        this.log = log;
    }

    public void requestStop() {
        stopping = true;
    }

    /**
     * Stops at once, for a SIGTERM: takes no more tasks, stops the server the step in flight started, and fails its
     * task with {@link #AGENT_STOPPED} and {@code why}, so the execution records the failure now instead of timing the
     * step out.
     */
    public void stopNow(String why) {
        stopping = true;
        InFlight f = current;
        if (f == null || !f.reported().compareAndSet(false, true)) {
            return;
        }
        log("stopping: failing step " + f.step() + " and stopping what it started");
        try {
            steps.abort();
        } catch (RuntimeException e) {
            log("cannot stop what step " + f.step() + " started: " + e.getMessage());
        }
        try {
            sfn.sendTaskFailure(r -> r.taskToken(f.token())
                    .error(AGENT_STOPPED)
                    .cause(limit(why + " during step " + f.step(), MAX_CAUSE))
                    .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(15))));
        } catch (SdkException e) {
            log("cannot report the stop: " + e.getMessage() + "; the execution times the step out on its heartbeat");
        }
    }

    /** Polls and runs tasks until {@link #requestStop()}, or until {@code maxTasks} tasks ran (0: no limit). */
    public int run(int maxTasks) {
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "heartbeat");
            t.setDaemon(true);
            return t;
        });
        int done = 0;
        try {
            while (!stopping && (maxTasks == 0 || done < maxTasks)) {
                GetActivityTaskResponse task;
                try {
                    task = sfn.getActivityTask(r -> r.activityArn(activityArn).workerName(workerName));
                } catch (SdkException e) {
                    log("polling " + activityArn + " failed, will retry: " + e.getMessage());
                    sleep(Duration.ofSeconds(5));
                    continue;
                }
                if (task.taskToken() == null || task.taskToken().isEmpty()) {
                    continue; // the long poll ended without a task
                }
                runTask(task, beats);
                done++;
            }
        } finally {
            beats.shutdownNow();
        }
        return done;
    }

    private void runTask(GetActivityTaskResponse task, ScheduledExecutorService beats) {
        String token = task.taskToken();
        Instant started = Instant.now();
        String step = "?";
        InFlight f = null;
        try {
            ObjectNode input = (ObjectNode) RestoreJob.JSON.readTree(task.input());
            step = input.path("step").asText();
            f = new InFlight(token, step, new AtomicBoolean());
            current = f;
            log("step " + step + " started");
            ObjectNode out;
            try (StepHeartbeat beat = new StepHeartbeat(beats, heartbeat, stall, () -> heartbeat(token), this::log)) {
                out = steps.run(input, beat::progress);
            }
            if (f.reported().compareAndSet(false, true)) {
                try {
                    sfn.sendTaskSuccess(r -> r.taskToken(token).output(out.toString()));
                    log("step " + step + " done in "
                            + Duration.between(started, Instant.now()).toSeconds() + " s");
                } catch (SdkException report) {
                    log("step " + step + " done, but its success cannot be reported (" + report.getMessage()
                            + "); the state machine times the step out and records the restore failed");
                }
            }
        } catch (RuntimeException | java.io.IOException e) {
            if (f != null && !f.reported().compareAndSet(false, true)) {
                return; // stopNow reported it
            }
            String error = e.getClass().getName();
            String cause = e.getMessage() == null ? error : e.getMessage();
            log("step " + step + " failed: " + cause);
            try {
                sfn.sendTaskFailure(
                        r -> r.taskToken(token).error(limit(error, MAX_ERROR)).cause(limit(cause, MAX_CAUSE)));
            } catch (SdkException report) {
                // the execution times the task out on its heartbeat; nothing is lost by not reporting
                log("cannot report the failure: " + report.getMessage());
            }
        } finally {
            current = null;
        }
    }

    private void heartbeat(String token) {
        try {
            // given up within the interval: a call that hangs must not outlast the state machine's window
            sfn.sendTaskHeartbeat(r -> r.taskToken(token).overrideConfiguration(c -> c.apiCallTimeout(heartbeat)));
        } catch (TaskTimedOutException | InvalidTokenException e) {
            // the execution has moved on (the step timed out, or it was stopped): what the step runs is nobody's
            InFlight f = current;
            if (f != null && f.token().equals(token) && f.reported().compareAndSet(false, true)) {
                log("the state machine gave up on step " + f.step() + " ("
                        + e.getClass().getSimpleName() + "); stopping what it started");
                try {
                    steps.abort();
                } catch (RuntimeException stop) {
                    log("cannot stop what step " + f.step() + " started: " + stop.getMessage());
                }
            }
        } catch (SdkException e) {
            log("heartbeat failed, will retry: " + e.getMessage());
        }
    }

    static String limit(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private void log(String msg) {
        log.println(Instant.now() + " " + msg);
        log.flush();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
