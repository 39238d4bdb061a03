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
import java.time.temporal.ChronoField;

/** Where a restore stops: a point in time, an LSN, or the end of the archive. */
public sealed interface RestoreTarget {

  /** Stop before the first transaction that committed after {@code time}. */
  record Time(Instant time) implements RestoreTarget {}

  /** Stop after replaying the record at {@code lsn}. */
  record AtLsn(Lsn lsn) implements RestoreTarget {}

  /** Replay everything the archive holds. */
  record Latest() implements RestoreTarget {}

  DateTimeFormatter LOCAL =
      new DateTimeFormatterBuilder()
          .appendPattern("yyyy-MM-dd")
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
          .toFormatter();

  DateTimeFormatter WITH_OFFSET =
      new DateTimeFormatterBuilder()
          .append(LOCAL)
          .optionalStart()
          .appendLiteral(' ')
          .optionalEnd()
          .appendOffset("+HH:mm", "Z")
          .toFormatter();

  DateTimeFormatter WITH_SHORT_OFFSET =
      new DateTimeFormatterBuilder()
          .append(LOCAL)
          .optionalStart()
          .appendLiteral(' ')
          .optionalEnd()
          .appendOffset("+HH", "Z")
          .toFormatter();

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
          "write '2025-11-23 14:41:37' (read in the configured timezone, " + zone + ") or ISO-8601 with an offset, e.g."
              + " 2025-11-23T14:41:37+01:00");
    }
  }

  /** How PostgreSQL must see a time: with a numeric offset, since it refuses zone abbreviations such as Z. */
  static String postgresTime(Instant t) {
    return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").format(t.atOffset(ZoneOffset.UTC)) + "+00";
  }
}
