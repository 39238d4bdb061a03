package dev.pitr.catalog;

import dev.pitr.wal.TimelineHistory;
import dev.pitr.wal.TimelineId;
import java.time.Instant;

/** An archived timeline history file. The content is small and kept inline so timelines resolve without storage. */
public record HistoryRecord(
        TimelineId timeline, String content, String sha256, String storageKey, long storedSize, Instant archivedAt) {

    public String fileName() {
        return TimelineHistory.fileName(timeline);
    }

    public TimelineHistory parsed() {
        return TimelineHistory.parse(timeline, content);
    }
}
