package dev.pitr.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertEquals("snapshot  1.0 GiB / 48.0 MiB  100%", bar.line(1L << 30, Duration.ofSeconds(1)));
        assertEquals("10 min", Progress.Bar.duration(600));
        assertEquals("2 h 05 min", Progress.Bar.duration(7500));
    }

    @Test
    void noRateOrTimeLeftIsShownBeforeTheRateIsMeasured() {
        assertEquals(
                "replay  512 B / 320.8 MiB  0%", Progress.line("replay", 336_384_000L, 512, Duration.ofMillis(900)));
        assertEquals(
                "replay  160.4 MiB / 320.8 MiB  50%  53.5 MiB/s  ETA 3 s",
                Progress.line("replay", 336_384_000L, 168_192_000L, Duration.ofSeconds(3)));
    }

    @Test
    void offATerminalALineEverySoOftenAndWithJsonAnEvent() throws Exception {
        Instant[] now = {Instant.EPOCH};
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        StringWriter lines = new StringWriter();
        Progress p = new Progress.Reported(
                "lay-down", 100L << 20, new PrintWriter(lines), clock, Duration.ofSeconds(10), false);
        // the rate counts from the first progress on: a phase's start (a server starting, say) is no part of it
        p.at(0);
        now[0] = Instant.EPOCH.plusSeconds(5);
        p.at(5L << 20);
        assertEquals("", lines.toString());
        now[0] = Instant.EPOCH.plusSeconds(10);
        p.at(10L << 20);
        now[0] = Instant.EPOCH.plusSeconds(15);
        p.at(15L << 20);
        now[0] = Instant.EPOCH.plusSeconds(20);
        p.at(20L << 20);
        p.finish();
        assertEquals("""
                lay-down  10.0 MiB / 100.0 MiB  10%  1.0 MiB/s  ETA 90 s
                lay-down  20.0 MiB / 100.0 MiB  20%  1.0 MiB/s  ETA 80 s
                lay-down  20.0 MiB / 100.0 MiB  20%  1.0 MiB/s  ETA 80 s
                """, lines.toString().replace(System.lineSeparator(), "\n"));

        StringWriter events = new StringWriter();
        now[0] = Instant.EPOCH;
        Progress e = new Progress.Reported("replay", 1000, new PrintWriter(events), clock, Duration.ofSeconds(1), true);
        now[0] = Instant.EPOCH.plusSeconds(1);
        e.at(100);
        now[0] = Instant.EPOCH.plusSeconds(4);
        e.at(400);
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var first = json.readTree(events.toString().lines().toList().get(0));
        assertEquals("replay", first.get("progress").asText());
        assertEquals(100, first.get("done_bytes").asLong());
        assertEquals(10, first.get("percent").asLong());
        assertTrue(first.get("eta_seconds").isNull(), first.toString());
        var second = json.readTree(events.toString().lines().toList().get(1));
        assertEquals(100, second.get("bytes_per_second").asLong());
        assertEquals(6, second.get("eta_seconds").asLong());
    }

    @Test
    void withoutATerminalNoBarIsDrawn() {
        // the test runs without a console
        assertFalse(Progress.of("restore", 100, false, new PrintWriter(new StringWriter())) instanceof Progress.Bar);
        assertTrue(Progress.of("restore", 100, true, new PrintWriter(new StringWriter())) instanceof Progress.Reported);
    }
}
