package dev.pitr.backup;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The parts of PostgreSQL's {@code backup_label} a snapshot needs: where the backup's WAL starts, and on which timeline. */
public record BackupLabel(Lsn startLsn, TimelineId timeline, String startTime) {

    private static final Pattern START =
            Pattern.compile("^START WAL LOCATION: (\\S+) \\(file ([0-9A-F]{24})\\)", Pattern.MULTILINE);
    private static final Pattern TLI = Pattern.compile("^START TIMELINE: (\\d+)", Pattern.MULTILINE);
    private static final Pattern TIME = Pattern.compile("^START TIME: (.+)$", Pattern.MULTILINE);

    public static BackupLabel parse(String text) {
        Matcher s = START.matcher(text);
        Matcher t = TLI.matcher(text);
        Matcher time = TIME.matcher(text);
        if (!s.find() || !t.find()) {
            throw new IllegalArgumentException("backup_label lacks START WAL LOCATION or START TIMELINE");
        }
        return new BackupLabel(
                Lsn.parse(s.group(1)),
                TimelineId.of(Long.parseLong(t.group(1))),
                time.find() ? time.group(1).strip() : null);
    }
}
