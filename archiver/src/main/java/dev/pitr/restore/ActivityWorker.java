package dev.pitr.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.restore.workflow.RestoreJob;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.GetActivityTaskResponse;
import software.amazon.awssdk.services.sfn.model.TaskTimedOutException;

/**
 * {@code pitr agent}: the restore host's worker for the state machine's activity. It long-polls GetActivityTask, runs
 * the step it is handed ({@link ActivitySteps}), sends SendTaskHeartbeat on a timer while the step runs, and reports
 * with SendTaskSuccess or SendTaskFailure (the error named by the exception's class, as the state machine's Retry
 * and Catch expect). Every call is outbound: a restore host needs no inbound access.
 */
public final class ActivityWorker {

    /** Runs one step's input to its output; {@link ActivitySteps} in production. */
    public interface Steps {
        ObjectNode run(JsonNode input, Runnable heartbeat);
    }

    /** Step Functions' limits on a failure's error name and cause. */
    static final int MAX_ERROR = 256;

    static final int MAX_CAUSE = 32768;

    private final SfnClient sfn;
    private final String activityArn;
    private final String workerName;
    private final Steps steps;
    private final Duration heartbeat;
    private final PrintWriter log;
    private volatile boolean stopping;

    public ActivityWorker(
            SfnClient sfn, String activityArn, String workerName, Steps steps, Duration heartbeat, PrintWriter log) {
        this.sfn = sfn;
        this.activityArn = activityArn;
        this.workerName = workerName;
        this.steps = steps;
        this.heartbeat = heartbeat;
        this.log = log;
    }

    public void requestStop() {
        stopping = true;
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
        ScheduledFuture<?> beat = beats.scheduleAtFixedRate(
                () -> heartbeat(token), heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        Instant started = Instant.now();
        String step = "?";
        try {
            ObjectNode input = (ObjectNode) RestoreJob.JSON.readTree(task.input());
            step = input.path("step").asText();
            log("step " + step + " started");
            ObjectNode out = steps.run(input, () -> {});
            stop(beat, beats);
            sfn.sendTaskSuccess(r -> r.taskToken(token).output(out.toString()));
            log("step " + step + " done in "
                    + Duration.between(started, Instant.now()).toSeconds() + " s");
        } catch (RuntimeException | java.io.IOException e) {
            stop(beat, beats);
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
        }
    }

    /** Cancels the task's heartbeats and waits out one in flight, so that none follows the report. */
    private static void stop(ScheduledFuture<?> beat, ScheduledExecutorService beats) {
        beat.cancel(false);
        try {
            beats.submit(() -> {}).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            // a no-op does not fail
        }
    }

    private void heartbeat(String token) {
        try {
            sfn.sendTaskHeartbeat(r -> r.taskToken(token));
        } catch (TaskTimedOutException e) {
            log("the state machine gave up on this task (timed out); its result will be ignored");
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
