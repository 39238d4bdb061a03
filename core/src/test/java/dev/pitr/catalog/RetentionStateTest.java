package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetentionStateTest {

    @Test
    void eachStateReadsBackFromItsText() {
        RetentionState expired = new RetentionState.Expired(Instant.parse("2026-12-01T03:00:00.123Z"));
        for (RetentionState s : new RetentionState[] {RetentionState.RETAINED, RetentionState.PINNED, expired}) {
            assertEquals(s, RetentionState.parse(s.text()));
        }
        assertEquals("2026-12-01T03:00:00.123Z", expired.text());
    }

    @Test
    void aRecordWithoutOneIsRetainedAndAnythingElseIsRefused() {
        assertEquals(RetentionState.RETAINED, RetentionState.parse(null));
        assertThrows(IllegalArgumentException.class, () -> RetentionState.parse("forever"));
        assertThrows(IllegalArgumentException.class, () -> RetentionState.parse("Pinned"));
    }
}
