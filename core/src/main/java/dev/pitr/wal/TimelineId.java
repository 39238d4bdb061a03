package dev.pitr.wal;

/** A PostgreSQL timeline: 1 for a fresh cluster, incremented by every promotion. */
public record TimelineId(long value) implements Comparable<TimelineId> {

    public TimelineId {
        if (value < 1 || value > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("timeline out of range: " + value);
        }
    }

    public static TimelineId of(long value) {
        return new TimelineId(value);
    }

    /** Parses the 8-hex form used in file names, e.g. {@code 00000002}. */
    public static TimelineId parseHex(String hex) {
        return new TimelineId(Long.parseLong(hex, 16));
    }

    public String hex() {
        return String.format("%08X", value);
    }

    @Override
    public int compareTo(TimelineId o) {
        return Long.compare(value, o.value);
    }

    @Override
    public String toString() {
        return Long.toString(value);
    }
}
