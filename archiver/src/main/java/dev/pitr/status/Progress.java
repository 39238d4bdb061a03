package dev.pitr.status;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Progress of a long operation (a snapshot streaming, a restore replaying): bytes done of an estimated total, the rate
 * and the time left, redrawn in place on a terminal at most four times a second. Off the terminal, or with
 * {@code --json}, it is {@link #NONE} and prints nothing.
 */
public interface Progress {

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

    /** A bar on {@code err} when a person is watching (a console is attached and JSON was not asked for). */
    static Progress forTerminal(String label, long total, boolean json, PrintWriter err) {
        return !terminal() || json ? NONE : new Bar(label, total, err, Clock.systemUTC());
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
        private final Instant started;
        private Instant drawn;
        private int width;

        public Bar(String label, long total, PrintWriter out, Clock clock) {
            this.label = label;
            this.total = total;
            this.out = out;
            this.clock = clock;
            this.started = clock.instant();
        }

        @Override
        public synchronized void at(long done) {
            Instant now = clock.instant();
            if (drawn != null && Duration.between(drawn, now).toMillis() < 250) {
                return;
            }
            drawn = now;
            String line = line(done, Duration.between(started, now));
            out.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
            out.flush();
            width = line.length();
        }

        /** The text for {@code done} bytes after {@code elapsed}. */
        public String line(long done, Duration elapsed) {
            double seconds = Math.max(0.001, elapsed.toMillis() / 1000.0);
            double rate = done / seconds;
            StringBuilder b = new StringBuilder(label).append("  ").append(bytes(done));
            if (total > 0) {
                b.append(" / ")
                        .append(bytes(total))
                        .append("  ")
                        .append(Math.min(100, done * 100 / total))
                        .append('%');
            }
            b.append("  ").append(bytes((long) rate)).append("/s");
            if (total > done && rate > 0) {
                b.append("  ETA ").append(duration((long) Math.ceil((total - done) / rate)));
            }
            return b.toString();
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
