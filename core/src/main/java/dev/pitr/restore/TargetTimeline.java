package dev.pitr.restore;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.wal.TimelineId;
import java.util.Locale;

/**
 * Which timeline a restore follows ({@code --timeline}): the newest one archived, the snapshot's own, or a given one.
 * The plan always resolves it to a number, so the restored server never picks a branch by itself.
 */
public sealed interface TargetTimeline {

    /** The newest timeline the archive knows. */
    record Latest() implements TargetTimeline {}

    /** The timeline the snapshot was taken on. */
    record Current() implements TargetTimeline {}

    /** This timeline. */
    record Exactly(TimelineId timeline) implements TargetTimeline {}

    static TargetTimeline parse(String text) {
        String t = text == null ? "latest" : text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("latest")) {
            return new Latest();
        }
        if (t.equals("current")) {
            return new Current();
        }
        try {
            long v = t.startsWith("0x") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
            return new Exactly(TimelineId.of(v));
        } catch (IllegalArgumentException e) {
            throw new PitrException(
                    ErrorCode.BAD_TARGET,
                    "malformed timeline '" + text + "'",
                    "write latest, current, or a timeline number such as 2");
        }
    }
}
