package dev.pitr.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetentionPolicyTest {

    @Test
    void humanDurationsReadBackAsTheSameDuration() {
        for (Duration d : List.of(
                Duration.ZERO,
                Duration.ofSeconds(8),
                Duration.ofSeconds(90),
                Duration.ofMinutes(90),
                Duration.ofHours(36),
                Duration.ofDays(7))) {
            assertEquals(Optional.of(d), RetentionPolicy.parseDuration(RetentionPolicy.human(d)), d.toString());
        }
    }

    @Test
    void humanDurationsUseTheLargestWholeUnit() {
        assertEquals("7d", RetentionPolicy.human(Duration.ofDays(7)));
        assertEquals("36h", RetentionPolicy.human(Duration.ofHours(36)));
        assertEquals("90m", RetentionPolicy.human(Duration.ofMinutes(90)));
        assertEquals("45s", RetentionPolicy.human(Duration.ofSeconds(45)));
        assertEquals("0s", RetentionPolicy.human(Duration.ZERO));
    }
}
