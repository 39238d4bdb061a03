package dev.pitr.status;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Progress of a long operation (a snapshot streaming, a restore laying its snapshot down and replaying): bytes done of
 * an estimated total, the rate and the time left. On a terminal it is a bar redrawn in place at most four times a
 * second; elsewhere a line every {@value #LINE_SECONDS} seconds; with {@code --json}, a JSON object per line every
 * {@value #EVENT_SECONDS} seconds ({@code {"progress": label, "done_bytes", "total_bytes", "percent",
 * "bytes_per_second", "eta_seconds"}}). All go to standard error. No rate or time left is shown before it is measured:
 * {@value #MEASURED_SECONDS} seconds after the operation began.
 */
public interface Progress {

    /** Seconds of work before a rate, and so a time left, is shown. */
    int MEASURED_SECONDS = 3;

    /** Seconds between two lines off a terminal. */
    int LINE_SECONDS = 10;

    /** Seconds between two JSON events. */
    int EVENT_SECONDS = 5;

    Progress NONE = new Progress() {
        @Override
        public void at(long done) {}

        @Override
        public void finish() {}
    };

    /** {@code done} bytes so far. */
    void at(long done);

    /** Ends the line. */
    void finish();

    /** As a person or a program follows it: see the class's comment. */
    static Progress of(String label, long total, boolean json, PrintWriter err) {
        Clock clock = Clock.systemUTC();
        if (json) {
            return new Reported(label, total, err, clock, Duration.ofSeconds(EVENT_SECONDS), true);
        }
        return terminal()
                ? new Bar(label, total, err, clock)
                : new Reported(label, total, err, clock, Duration.ofSeconds(LINE_SECONDS), false);
    }

    /** The text for {@code done} bytes of {@code total} after {@code elapsed}: {@code label  1.2 GiB / 3.4 GiB  35%  45.0 MiB/s  ETA 48 s}. */
    static String line(String label, long total, long done, Duration elapsed) {
        return line(label, total, done, rate(done, elapsed));
    }

    /** The text for {@code done} bytes of {@code total} at {@code rate} bytes a second (negative: not measured yet). */
    static String line(String label, long total, long done, double rate) {
        StringBuilder b = new StringBuilder(label).append("  ").append(Bar.bytes(done));
        if (total > 0) {
            b.append(" / ")
                    .append(Bar.bytes(total))
                    .append("  ")
                    .append(Math.min(100, done * 100 / total))
                    .append('%');
        }
        if (rate >= 0) {
            b.append("  ").append(Bar.bytes((long) rate)).append("/s");
            if (total > done && rate > 0) {
                b.append("  ETA ").append(Bar.duration((long) Math.ceil((total - done) / rate)));
            }
        }
        return b.toString();
    }

    /**
     * The rate of the work since its first progress (time spent before it, a server starting say, does not count),
     * once {@value #MEASURED_SECONDS} seconds of it have passed.
     */
    final class Rate {
        private Instant first;
        private long firstDone;

        /** Bytes a second at {@code now} with {@code done} bytes done; -1 before it is measured. */
        public synchronized double at(Instant now, long done) {
            if (first == null) {
                if (done > 0) {
                    first = now;
                    firstDone = done;
                }
                return -1;
            }
            return rate(done - firstDone, Duration.between(first, now));
        }
    }

    /** Bytes a second, or -1 before the rate is measured. */
    static double rate(long done, Duration elapsed) {
        return elapsed.toMillis() < MEASURED_SECONDS * 1000L ? -1 : done / (elapsed.toMillis() / 1000.0);
    }

    /** Off a terminal: a line, or a JSON event, every so often, and one at the end if any was written. */
    final class Reported implements Progress {
        private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
                new com.fasterxml.jackson.databind.ObjectMapper();
        private final String label;
        private final long total;
        private final PrintWriter out;
        private final Clock clock;
        private final Duration every;
        private final boolean json;
        private final Instant started;
        private final Rate measured = new Rate();
        private Instant written;
        private long last;
        private double lastRate = -1;

        public Reported(String label, long total, PrintWriter out, Clock clock, Duration every, boolean json) {
            this.label = label;
            this.total = total;
            this.out = out;
            this.clock = clock;
            this.every = every;
            this.json = json;
            this.started = clock.instant();
        }

        @Override
        public synchronized void at(long done) {
            last = done;
            Instant now = clock.instant();
            lastRate = measured.at(now, done);
            if (Duration.between(written == null ? started : written, now).compareTo(every) < 0) {
                return;
            }
            write(done, now);
        }

        @Override
        public synchronized void finish() {
            if (written != null) {
                write(last, clock.instant());
            }
        }

        private void write(long done, Instant now) {
            written = now;
            double rate = lastRate;
            if (!json) {
                out.println(line(label, total, done, rate));
            } else {
                var n = JSON.createObjectNode();
                n.put("progress", label);
                n.put("done_bytes", done);
                n.put("total_bytes", total);
                n.put("percent", total > 0 ? Math.min(100, done * 100 / total) : null);
                n.put("bytes_per_second", rate >= 0 ? Long.valueOf((long) rate) : null);
                n.put(
                        "eta_seconds",
                        rate > 0 && total > done ? Long.valueOf((long) Math.ceil((total - done) / rate)) : null);
                out.println(n.toString());
            }
            out.flush();
        }
    }

    /**
     * Whether a person is at a terminal. Java 22 and later hand out a console even when output is redirected and say
     * whether it is a terminal with {@code Console.isTerminal()}; before that, there is a console only at a terminal.
     */
    @SuppressWarnings("SystemConsoleNull") // null is the answer on Java 17 to 21; isTerminal() is asked on 22 and later
    static boolean terminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /** The bar itself: {@code label  1.2 GiB / 3.4 GiB  35%  45.0 MiB/s  ETA 48 s}. */
    final class Bar implements Progress {
        private final String label;
        private final long total;
        private final PrintWriter out;
        private final Clock clock;
        private final Rate measured = new Rate();
        private Instant drawn;
        private int width;

        public Bar(String label, long total, PrintWriter out, Clock clock) {
            this.label = label;
            this.total = total;
            this.out = out;
            this.clock = clock;
        }

        @Override
        public synchronized void at(long done) {
            Instant now = clock.instant();
            double rate = measured.at(now, done);
            if (drawn != null && Duration.between(drawn, now).toMillis() < 250) {
                return;
            }
            drawn = now;
            String line = Progress.line(label, total, done, rate);
            out.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
            out.flush();
            width = line.length();
        }

        /** The text for {@code done} bytes after {@code elapsed}. */
        public String line(long done, Duration elapsed) {
            return Progress.line(label, total, done, elapsed);
        }

        @Override
        public synchronized void finish() {
            if (drawn != null) {
                out.println();
                out.flush();
            }
        }

        static String bytes(long n) {
            String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
            double v = n;
            int i = 0;
            while (v >= 1024 && i < units.length - 1) {
                v /= 1024;
                i++;
            }
            return i == 0 ? n + " B" : String.format("%.1f %s", v, units[i]);
        }

        static String duration(long s) {
            return s < 120
                    ? s + " s"
                    : s < 7200 ? (s / 60) + " min" : String.format("%d h %02d min", s / 3600, s % 3600 / 60);
        }
    }
}
