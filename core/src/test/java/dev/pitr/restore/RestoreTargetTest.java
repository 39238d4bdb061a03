package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RestoreTargetTest {

    @Test
    void plainTimesAreReadInTheConfiguredZone() {
        assertEquals(
                Instant.parse("2025-11-23T14:41:37Z"),
                RestoreTarget.parseTime("2025-11-23 14:41:37", ZoneOffset.UTC).time());
        assertEquals(
                Instant.parse("2025-11-23T13:41:37Z"),
                RestoreTarget.parseTime("2025-11-23 14:41:37", ZoneId.of("Europe/Berlin"))
                        .time());
        assertEquals(
                Instant.parse("2025-11-23T14:41:37.123456Z"),
                RestoreTarget.parseTime("2025-11-23T14:41:37.123456", ZoneOffset.UTC)
                        .time());
    }

    @Test
    void isoTimesWithAnOffsetIgnoreTheZone() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        assertEquals(
                Instant.parse("2025-11-23T13:41:37Z"),
                RestoreTarget.parseTime("2025-11-23T14:41:37+01:00", berlin).time());
        assertEquals(
                Instant.parse("2025-11-23T14:41:37Z"),
                RestoreTarget.parseTime("2025-11-23T14:41:37Z", berlin).time());
        assertEquals(
                Instant.parse("2025-11-23T14:41:37Z"),
                RestoreTarget.parseTime("2025-11-23 14:41:37+00", berlin).time());
    }

    @Test
    void malformedTimesAreBadTargetsWithAHint() {
        for (String bad : new String[] {
            "yesterday",
            "2025-11-23",
            "2025-13-01 00:00:00",
            "14:41:37",
            "",
            "2026-02-30 12:00:00",
            "2025-11-31T10:00:00+01:00",
            "2026-02-29 00:00:00+00",
            "2025-11-23 24:00:00"
        }) {
            PitrException e =
                    assertThrows(PitrException.class, () -> RestoreTarget.parseTime(bad, ZoneOffset.UTC), bad);
            assertEquals(ErrorCode.BAD_TARGET, e.code());
        }
    }

    @Test
    void postgresGetsANumericOffsetNeverZ() {
        assertEquals(
                "2025-11-23 14:41:37.000001+00",
                RestoreTarget.postgresTime(Instant.parse("2025-11-23T14:41:37.000001Z")));
    }
}
