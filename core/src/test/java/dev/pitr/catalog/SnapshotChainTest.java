package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnapshotChainTest {

    static final TimelineId ONE = TimelineId.of(1);

    static SnapshotRecord snapshot(String id, TimelineId tli, SnapshotLineage lineage) {
        return new SnapshotRecord(
                new SnapshotId(id),
                "",
                SnapshotRecord.Status.COMPLETE,
                tli,
                new Lsn(0x1000000),
                new Lsn(0x2000000),
                Instant.parse("2026-12-01T00:00:00Z"),
                Instant.parse("2026-12-01T00:01:00Z"),
                null,
                null,
                100,
                10,
                "s",
                "snapshots/" + id,
                null,
                null,
                RetentionState.RETAINED,
                lineage);
    }

    static SnapshotLineage on(String parent) {
        return new SnapshotLineage(SnapshotLineage.Kind.BLOCK, new SnapshotId(parent));
    }

    final SnapshotRecord full = snapshot("20261201T000000Z", ONE, SnapshotLineage.FULL);
    final SnapshotRecord first = snapshot("20261201T010000Z", ONE, on("20261201T000000Z"));
    final SnapshotRecord second = snapshot("20261201T020000Z", ONE, on("20261201T010000Z"));

    @Test
    void aChainRunsFromItsFullUpToTheSnapshot() {
        SnapshotChain c = SnapshotChain.resolve(second, SnapshotChain.lookup(List.of(second, full, first)))
                .chain()
                .orElseThrow();
        assertEquals(List.of(full, first, second), c.links());
        assertEquals(2, c.length());
        assertEquals(300, c.plainSize());
        assertEquals(30, c.storedSize());
        assertEquals(
                0,
                SnapshotChain.resolve(full, SnapshotChain.lookup(List.of(full)))
                        .chain()
                        .orElseThrow()
                        .length());
    }

    @Test
    void aMissingFailedExpiredOrForeignLinkBreaksEverySnapshotAboveIt() {
        assertBroken(List.of(second, full), "20261201T010000Z is not in the catalog");
        for (SnapshotRecord.Status s :
                List.of(SnapshotRecord.Status.FAILED, SnapshotRecord.Status.EXPIRED, SnapshotRecord.Status.RUNNING)) {
            assertBroken(
                    List.of(second, first.withStatus(s), full), "is " + s.name().toLowerCase(java.util.Locale.ROOT));
        }
        assertBroken(
                List.of(second, first, full.withStatus(SnapshotRecord.Status.REMOVED)),
                "(through 20261201T010000Z): its parent 20261201T000000Z is removed");
        SnapshotRecord foreign = snapshot("20261201T010000Z", TimelineId.of(2), on("20261201T000000Z"));
        assertBroken(List.of(second, foreign, full), "is on timeline 2, not 1");
    }

    @Test
    void aLoopOfParentsIsBrokenNotEndless() {
        SnapshotRecord a = snapshot("20261201T010000Z", ONE, on("20261201T020000Z"));
        SnapshotRecord b = snapshot("20261201T020000Z", ONE, on("20261201T010000Z"));
        assertBroken(List.of(a, b), "loops");
        SnapshotRecord self = snapshot("20261201T030000Z", ONE, on("20261201T030000Z"));
        assertTrue(SnapshotChain.resolve(self, SnapshotChain.lookup(List.of(self)))
                .broken()
                .orElseThrow()
                .reason()
                .contains("loops"));
    }

    private void assertBroken(List<SnapshotRecord> all, String why) {
        SnapshotRecord top = all.get(0);
        SnapshotChain.Resolved r = SnapshotChain.resolve(top, SnapshotChain.lookup(new ArrayList<>(all)));
        assertTrue(r.chain().isEmpty());
        String reason = r.broken().orElseThrow().reason();
        assertTrue(reason.contains(why) && reason.startsWith("snapshot " + top.id()), reason);
    }
}
