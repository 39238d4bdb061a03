package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SnapshotLineageTest {

    @Test
    void readsWhatItWritesAndARecordWithoutLineageIsAFull() {
        SnapshotLineage native17 = new SnapshotLineage(SnapshotLineage.Kind.NATIVE, new SnapshotId("20261206T144137Z"));
        assertEquals(native17, SnapshotLineage.parse(native17.text()));
        assertEquals("native:20261206T144137Z", native17.text());
        assertEquals(SnapshotLineage.FULL, SnapshotLineage.parse(null));
        assertEquals(SnapshotLineage.FULL, SnapshotLineage.parse(""));
        assertEquals(SnapshotLineage.FULL, SnapshotLineage.parse("full"));
    }

    @Test
    void malformedLineageIsRefused() {
        for (String bad :
                new String[] {"block", "full:20261206T144137Z", "delta:20261206T144137Z", "block:yesterday"}) {
            assertThrows(IllegalArgumentException.class, () -> SnapshotLineage.parse(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> new SnapshotLineage(SnapshotLineage.Kind.BLOCK, null));
        assertThrows(
                IllegalArgumentException.class,
                () -> new SnapshotLineage(SnapshotLineage.Kind.FULL, new SnapshotId("20261206T144137Z")));
    }
}
