package dev.pitr.schedule;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ticks the scheduled jobs on a thread of its own, every {@code tick}, until stopped. A job that is running when the
 * stop comes finishes its tick first ({@link #stop} waits for it up to the time given).
 */
public final class Scheduler {

    private final List<ScheduledJob> jobs;
    private final Duration tick;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;

    public Scheduler(List<ScheduledJob> jobs, Duration tick) {
        this.jobs = List.copyOf(jobs);
        this.tick = tick;
        this.thread = new Thread(this::loop, "pitr-scheduler");
    }

    public void start() {
        thread.start();
    }

    /** Asks the thread to start no new tick; a job in hand finishes. Safe from a shutdown hook. */
    public void requestStop() {
        stop.countDown();
    }

    /** Waits up to {@code wait} for the thread to end after {@link #requestStop()}. */
    public void awaitStopped(Duration wait) throws InterruptedException {
        thread.join(wait.toMillis());
    }

    private void loop() {
        while (stop.getCount() > 0) {
            for (ScheduledJob j : jobs) {
                j.tick();
            }
            try {
                stop.await(tick.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
