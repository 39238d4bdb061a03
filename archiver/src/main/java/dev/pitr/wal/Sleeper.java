package dev.pitr.wal;

import java.time.Duration;

/** Waits between the passes of a loop; tests pass one that advances a fake clock instead. */
@FunctionalInterface
public interface Sleeper {

    /** The thread's own sleep. An interrupt ends the wait early and stays set on the thread. */
    Sleeper SYSTEM = d -> {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    };

    /** Returns after {@code d}, or earlier when the thread is interrupted (with the interrupt flag still set). */
    void sleep(Duration d);
}
