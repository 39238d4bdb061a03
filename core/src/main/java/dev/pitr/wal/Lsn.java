package dev.pitr.wal;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;

/** A position in the write-ahead log, written by PostgreSQL as {@code X/X} (two hex halves of a 64-bit offset). */
public record Lsn(long value) implements Comparable<Lsn> {

    public static final Lsn ZERO = new Lsn(0);

    /** Parses {@code 16/B374D848}; anything else is a user error naming the bad text. */
    public static Lsn parse(String text) {
        if (text != null) {
            String t = text.trim();
            int slash = t.indexOf('/');
            if (slash > 0 && slash < t.length() - 1 && slash <= 8 && t.length() - slash - 1 <= 8) {
                try {
                    long hi = Long.parseLong(t.substring(0, slash), 16);
                    long lo = Long.parseLong(t.substring(slash + 1), 16);
                    return new Lsn((hi << 32) | lo);
                } catch (NumberFormatException ignored) {
                    // falls through to the error below
                }
            }
        }
        throw new PitrException(
                ErrorCode.BAD_TARGET,
                "malformed LSN '" + text + "'",
                "write an LSN the way PostgreSQL prints it, e.g. 0/3000028 (see pg_current_wal_lsn())");
    }

    public Lsn plus(long bytes) {
        return new Lsn(value + bytes);
    }

    /** Bytes from {@code other} to this position; negative when {@code other} is later. */
    public long minus(Lsn other) {
        return value - other.value;
    }

    public boolean isAfter(Lsn other) {
        return Long.compareUnsigned(value, other.value) > 0;
    }

    public boolean isBefore(Lsn other) {
        return Long.compareUnsigned(value, other.value) < 0;
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return String.format("%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }
}
