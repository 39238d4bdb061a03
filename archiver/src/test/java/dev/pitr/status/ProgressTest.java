package dev.pitr.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void theBarShowsBytesShareRateAndTimeLeft() {
        Progress.Bar bar = new Progress.Bar(
                "snapshot", 48L << 20, new PrintWriter(new StringWriter()), Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        assertEquals(
                "snapshot  12.0 MiB / 48.0 MiB  25%  4.0 MiB/s  ETA 9 s", bar.line(12L << 20, Duration.ofSeconds(3)));
        assertEquals("snapshot  48.0 MiB / 48.0 MiB  100%  4.0 MiB/s", bar.line(48L << 20, Duration.ofSeconds(12)));
        assertEquals("snapshot  1.0 GiB / 48.0 MiB  100%  1.0 GiB/s", bar.line(1L << 30, Duration.ofSeconds(1)));
        assertEquals("10 min", Progress.Bar.duration(600));
        assertEquals("2 h 05 min", Progress.Bar.duration(7500));
    }

    @Test
    void withoutATerminalOrWithJsonNothingIsDrawn() {
        StringWriter out = new StringWriter();
        // the test runs without a console
        assertSame(Progress.NONE, Progress.forTerminal("restore", 100, false, new PrintWriter(out)));
        assertSame(Progress.NONE, Progress.forTerminal("restore", 100, true, new PrintWriter(out)));
    }
}
