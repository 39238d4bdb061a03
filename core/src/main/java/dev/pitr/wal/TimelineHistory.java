package dev.pitr.wal;

import java.util.ArrayList;
import java.util.List;

/**
 * The contents of a {@code NNNNNNNN.history} file: for each ancestor timeline, the LSN at which the next one branched
 * off. Lines are {@code parentTLI <tab> switchpoint <tab> reason}; comments and blank lines are ignored.
 */
public record TimelineHistory(TimelineId timeline, List<Entry> entries) {

    /** One ancestor: it was left at {@code switchpoint} (exclusive end). */
    public record Entry(TimelineId parent, Lsn switchpoint, String reason) {}

    public TimelineHistory {
        entries = List.copyOf(entries);
    }

    public static boolean isHistoryFileName(String name) {
        return name.matches("[0-9A-F]{8}\\.history");
    }

    public static String fileName(TimelineId tli) {
        return tli.hex() + ".history";
    }

    public static TimelineHistory parse(TimelineId timeline, String text) {
        List<Entry> out = new ArrayList<>();
        TimelineId last = null;
        for (String raw : text.split("\n", -1)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+", 3);
            if (f.length < 2) {
                throw new IllegalArgumentException("malformed history line: " + raw);
            }
            TimelineId parent = TimelineId.of(Long.parseLong(f[0]));
            if (last != null && parent.compareTo(last) <= 0) {
                throw new IllegalArgumentException("timeline IDs must increase in history: " + raw);
            }
            if (parent.compareTo(timeline) >= 0) {
                throw new IllegalArgumentException("ancestor " + parent + " is not below timeline " + timeline);
            }
            last = parent;
            out.add(new Entry(parent, Lsn.parse(f[1]), f.length > 2 ? f[2] : ""));
        }
        return new TimelineHistory(timeline, out);
    }

    /** The timeline that was current at {@code lsn} on the way to this one. */
    public TimelineId timelineAt(Lsn lsn) {
        for (Entry e : entries) {
            if (lsn.isBefore(e.switchpoint())) {
                return e.parent();
            }
        }
        return timeline;
    }
}
