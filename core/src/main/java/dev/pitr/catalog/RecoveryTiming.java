package dev.pitr.catalog;

import java.util.OptionalDouble;

/**
 * How long a restore took, as it measured itself: laying the snapshot's chain down ({@code layDownBytes} plain bytes
 * in {@code layDownMillis}), replaying WAL ({@code replayBytes} of WAL in {@code replayMillis}, from the server's start
 * until recovery stopped), and the whole restore ({@code totalMillis}, which adds the plan, the directory's preparation
 * and the checks).
 */
public record RecoveryTiming(
        long layDownMillis, long layDownBytes, long replayMillis, long replayBytes, long totalMillis) {

    /**
     * Replay below this much WAL says more about the server's start than about replay, so it gives no rate: a restore
     * straight after a snapshot replays a segment or two.
     */
    public static final long MIN_REPLAY_BYTES_FOR_RATE = 64L << 20;

    /** Lay-down below this much says more about the steps around it than about the lay-down. */
    public static final long MIN_LAY_DOWN_BYTES_FOR_RATE = 64L << 20;

    public RecoveryTiming {
        if (layDownMillis < 0 || layDownBytes < 0 || replayMillis < 0 || replayBytes < 0 || totalMillis < 0) {
            throw new IllegalArgumentException("a timing is never negative");
        }
    }

    /** WAL bytes replayed per second, when enough was replayed to tell. */
    public OptionalDouble replayBytesPerSecond() {
        return rate(replayBytes, replayMillis, MIN_REPLAY_BYTES_FOR_RATE);
    }

    /** Snapshot bytes laid down per second, when enough was laid down to tell. */
    public OptionalDouble layDownBytesPerSecond() {
        return rate(layDownBytes, layDownMillis, MIN_LAY_DOWN_BYTES_FOR_RATE);
    }

    private static OptionalDouble rate(long bytes, long millis, long min) {
        return bytes >= min && millis > 0 ? OptionalDouble.of(bytes * 1000.0 / millis) : OptionalDouble.empty();
    }
}
