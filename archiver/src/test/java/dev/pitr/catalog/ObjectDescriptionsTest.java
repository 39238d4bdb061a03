package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ObjectDescriptionsTest {

    private static SnapshotRecord snapshot(String id) {
        return new SnapshotRecord(
                new SnapshotId(id),
                "nightly",
                SnapshotRecord.Status.COMPLETE,
                TimelineId.of(1),
                new Lsn(0x2000028),
                new Lsn(0x2000100),
                Instant.parse("2026-12-06T10:00:00Z"),
                Instant.parse("2026-12-06T10:01:00Z"),
                null,
                null,
                100,
                10,
                "ab",
                "snapshots/" + id + "/base.tar.zst",
                null,
                null,
                null);
    }

    /** The sidecar a rebuild reads a snapshot back from keeps its lineage; one an earlier version wrote is a full. */
    @Test
    void theSidecarKeepsTheLineage() {
        SnapshotRecord inc = snapshot("20261206T160000Z")
                .withLineage(new SnapshotLineage(SnapshotLineage.Kind.BLOCK, new SnapshotId("20261206T100000Z")));
        byte[] sidecar = ObjectDescriptions.snapshotManifest(inc);
        assertEquals(inc, ObjectDescriptions.snapshotRecord("k", sidecar));
        String older = new String(
                        ObjectDescriptions.snapshotManifest(snapshot("20261206T100000Z")), StandardCharsets.UTF_8)
                .replace("\"lineage\" : \"full\",", "");
        assertEquals(
                SnapshotLineage.FULL,
                ObjectDescriptions.snapshotRecord("k", older.getBytes(StandardCharsets.UTF_8))
                        .lineage());
    }
}
