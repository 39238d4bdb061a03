package dev.pitr.wal;

import java.time.Duration;
import java.time.Instant;

/**
 * When to try starting {@code pg_receivewal} again: one second after the first failure, doubling up to a ceiling,
 * and back to one second once a receiver has run longer than the ceiling.
 */
final class Backoff {

    static final Duration FIRST = Duration.ofSeconds(1);

    private final Duration ceiling;
    private Duration next = FIRST;
    private Instant notBefore = Instant.EPOCH;

    Backoff(Duration ceiling) {
        this.ceiling = ceiling;
    }

    /** A failure at {@code now}: the next attempt waits the current delay, and the delay after it doubles. */
    Duration failed(Instant now) {
        Duration wait = next;
        notBefore = now.plus(wait);
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(ceiling) > 0 ? ceiling : doubled;
        return wait;
    }

    /** A receiver started at {@code started} is still running at {@code now}: past the ceiling, start over. */
    void running(Instant started, Instant now) {
        if (Duration.between(started, now).compareTo(ceiling) > 0) {
            next = FIRST;
        }
    }

    /** An attempt succeeded: the next failure waits the first delay again. */
    void succeeded() {
        next = FIRST;
        notBefore = Instant.EPOCH;
    }

    /** Whether an attempt may be made at {@code now}. */
    boolean due(Instant now) {
        return !now.isBefore(notBefore);
    }

    /** The delay the next failure will wait. */
    Duration next() {
        return next;
    }
}
