package dev.pitr.restore;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.wal.Lsn;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;

/**
 * Where a restore stops: a point in time, an LSN, a transaction, a named restore point, the snapshot's consistency
 * point, or the end of the archive. These are PostgreSQL's recovery targets; {@code --exclusive} and the timeline are
 * part of the request, not the target.
 */
public sealed interface RestoreTarget {

    /** Stop before the first transaction that ended after {@code time} (at or after it, when exclusive). */
    record Time(Instant time) implements RestoreTarget {}

    /** Stop after replaying the record at {@code lsn} (before it, when exclusive). */
    record AtLsn(Lsn lsn) implements RestoreTarget {}

    /** Stop after transaction {@code xid} ends, commit or abort (before it, when exclusive). */
    record Xid(long xid) implements RestoreTarget {}

    /** Stop at the restore point made by {@code pg_create_restore_point(name)}. */
    record Named(String name) implements RestoreTarget {}

    /** Stop as soon as the snapshot is consistent. */
    record Immediate() implements RestoreTarget {}

    /** Replay everything the archive holds. */
    record Latest() implements RestoreTarget {}

    /** Parses a transaction id as PostgreSQL writes it (a 32-bit number, or an epoch-qualified 64-bit one). */
    static Xid parseXid(String text) {
        try {
            long v = Long.parseLong(text.strip());
            if (v < 3) {
                throw new NumberFormatException();
            }
            // a full transaction id (epoch << 32 | xid) from pg_current_xact_id(): WAL records carry the 32-bit part
            return new Xid(v & 0xFFFFFFFFL);
        } catch (NumberFormatException e) {
            throw new PitrException(
                    ErrorCode.BAD_TARGET,
                    "malformed transaction id '" + text + "'",
                    "give a normal transaction id (3 or more), as txid_current() or pg_current_xact_id() returns it");
        }
    }

    /** Describes the target for messages and plans. */
    static String describe(RestoreTarget t) {
        if (t instanceof Time time) {
            return "time " + postgresTime(time.time());
        } else if (t instanceof AtLsn at) {
            return "LSN " + at.lsn();
        } else if (t instanceof Xid x) {
            return "transaction " + x.xid();
        } else if (t instanceof Named n) {
            return "restore point '" + n.name() + "'";
        } else if (t instanceof Immediate) {
            return "the snapshot's consistency point";
        }
        return "the end of the archived WAL";
    }

    DateTimeFormatter LOCAL = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd")
            .optionalStart()
            .appendLiteral('T')
            .optionalEnd()
            .optionalStart()
            .appendLiteral(' ')
            .optionalEnd()
            .appendPattern("HH:mm:ss")
            .optionalStart()
            .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
            .optionalEnd()
            // a day that does not exist (2026-02-30) is malformed, not the last day of the month
            .toFormatter()
            .withResolverStyle(ResolverStyle.STRICT);

    DateTimeFormatter WITH_OFFSET = new DateTimeFormatterBuilder()
            .append(LOCAL)
            .optionalStart()
            .appendLiteral(' ')
            .optionalEnd()
            .appendOffset("+HH:mm", "Z")
            .toFormatter()
            .withResolverStyle(ResolverStyle.STRICT);

    DateTimeFormatter WITH_SHORT_OFFSET = new DateTimeFormatterBuilder()
            .append(LOCAL)
            .optionalStart()
            .appendLiteral(' ')
            .optionalEnd()
            .appendOffset("+HH", "Z")
            .toFormatter()
            .withResolverStyle(ResolverStyle.STRICT);

    /**
     * Parses {@code 2025-11-23 14:41:37} (in {@code zone}), or ISO-8601 with an offset such as {@code
     * 2025-11-23T14:41:37+01:00}, {@code 2025-11-23 14:41:37+00} or {@code 2025-11-23T14:41:37Z}.
     */
    static Time parseTime(String text, ZoneId zone) {
        String t = text == null ? "" : text.strip();
        for (DateTimeFormatter f : new DateTimeFormatter[] {WITH_OFFSET, WITH_SHORT_OFFSET}) {
            try {
                return new Time(OffsetDateTime.parse(t, f).toInstant());
            } catch (DateTimeParseException ignored) {
                // try the next form
            }
        }
        try {
            return new Time(LocalDateTime.parse(t, LOCAL).atZone(zone).toInstant());
        } catch (DateTimeParseException e) {
            throw new PitrException(
                    ErrorCode.BAD_TARGET,
                    "malformed timestamp '" + text + "'",
                    "write '2025-11-23 14:41:37' (read in the configured timezone, " + zone
                            + ") or ISO-8601 with an offset, e.g." + " 2025-11-23T14:41:37+01:00");
        }
    }

    /** How PostgreSQL must see a time: with a numeric offset, since it refuses zone abbreviations such as Z. */
    static String postgresTime(Instant t) {
        return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").format(t.atOffset(ZoneOffset.UTC)) + "+00";
    }
}
