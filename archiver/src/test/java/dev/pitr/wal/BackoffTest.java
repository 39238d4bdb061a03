package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");

    @Test
    void eachFailureWaitsTwiceAsLongUpToTheCeiling() {
        Backoff b = new Backoff(Duration.ofSeconds(30));
        List<Long> waits = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            waits.add(b.failed(T0).toSeconds());
        }
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 30L, 30L), waits);
    }

    @Test
    void anAttemptIsDueOnlyOnceTheWaitHasPassed() {
        Backoff b = new Backoff(Duration.ofSeconds(30));
        assertTrue(b.due(T0), "nothing has failed yet");
        b.failed(T0);
        b.failed(T0.plusSeconds(1));
        assertFalse(b.due(T0.plusSeconds(2)));
        assertTrue(b.due(T0.plusSeconds(3)));
    }

    @Test
    void aReceiverThatRanPastTheCeilingStartsTheDelaysOver() {
        Backoff b = new Backoff(Duration.ofSeconds(30));
        for (int i = 0; i < 5; i++) {
            b.failed(T0);
        }
        b.running(T0, T0.plusSeconds(30));
        assertEquals(Duration.ofSeconds(30), b.next(), "30 s is not past the ceiling");
        b.running(T0, T0.plusSeconds(31));
        assertEquals(Duration.ofSeconds(1), b.next());
    }
}
