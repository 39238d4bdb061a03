package dev.pitr.restore;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One step's heartbeats, tied to its progress: every {@code interval} a heartbeat is sent if the step made progress
 * ({@link #progress}) within the last {@code stall} (taking the step counts as progress), and none once it has not.
 * A step that hangs therefore stops beating, and the state machine times it out after its HeartbeatSeconds instead of
 * waiting out the step's whole timeout. The stall is said once.
 */
final class StepHeartbeat implements AutoCloseable {

    private final ScheduledExecutorService timer;
    private final long stallNanos;
    private final Runnable send;
    private final Consumer<String> log;
    private final ScheduledFuture<?> task;
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean stalled;

    StepHeartbeat(
            ScheduledExecutorService timer, Duration interval, Duration stall, Runnable send, Consumer<String> log) {
        this.timer = timer;
        this.stallNanos = stall.toNanos();
        this.send = send;
        this.log = log;
        this.task =
                timer.scheduleAtFixedRate(this::beat, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The step moved forward: bytes laid down, WAL replayed, a segment restored. */
    void progress() {
        lastProgress = System.nanoTime();
        if (stalled) {
            stalled = false;
            log.accept("the step makes progress again; heartbeats resume");
        }
    }

    private void beat() {
        if (System.nanoTime() - lastProgress > stallNanos) {
            if (!stalled) {
                stalled = true;
                log.accept("the step has made no progress for "
                        + Duration.ofNanos(stallNanos).toSeconds()
                        + " s (agent.stall_seconds); no more heartbeats, so the state machine times it out");
            }
            return;
        }
        send.run();
    }

    /** Stops the heartbeats and waits out one in flight, so that none follows the step's report. */
    @Override
    public void close() {
        task.cancel(false);
        try {
            timer.submit(() -> {}).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.RejectedExecutionException e) {
            // a no-op does not fail; a timer already shut down (the agent is stopping) has nothing in flight
        }
    }
}
