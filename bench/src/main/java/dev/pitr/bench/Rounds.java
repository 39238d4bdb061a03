package dev.pitr.bench;

import dev.pitr.postgres.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Figures of measures taken in several interleaved rounds (pitr, the peer, pitr, ...): the median decides, and the
 * spread (lowest to highest) says how far one run moves. Also the machine's CPU time, which counts what every process
 * of a tool used, background ones included.
 */
final class Rounds {

    private final Map<String, List<Double>> values = new LinkedHashMap<>();

    /** Adds round's figure {@code v} of {@code what}. */
    void add(String what, double v) {
        values.computeIfAbsent(what, k -> new ArrayList<>()).add(v);
    }

    /** Every round's figure of {@code what}. */
    List<Double> values(String what) {
        return List.copyOf(values.getOrDefault(what, List.of()));
    }

    /** The figure of the latest round. */
    double last(String what) {
        List<Double> v = values.get(what);
        return v.get(v.size() - 1);
    }

    double median(String what) {
        return median(values.getOrDefault(what, List.of()));
    }

    /** The median, then the spread in brackets: {@code 4.07 (3.90-4.20)}. */
    String show(String what) {
        List<Double> v = values.getOrDefault(what, List.of());
        if (v.isEmpty()) {
            return "";
        }
        return fmt(median(v)) + " (" + fmt(v.stream().mapToDouble(d -> d).min().orElseThrow()) + "-"
                + fmt(v.stream().mapToDouble(d -> d).max().orElseThrow()) + ")";
    }

    /** Every round's figure, the median, the lowest and the highest, for the JSON. */
    Map<String, Object> json(String what) {
        List<Double> v = values.getOrDefault(what, List.of());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rounds", v);
        m.put("median", median(v));
        m.put("min", v.stream().mapToDouble(d -> d).min().orElse(Double.NaN));
        m.put("max", v.stream().mapToDouble(d -> d).max().orElse(Double.NaN));
        return m;
    }

    static double median(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = v.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static final double TICKS = ticks();

    /**
     * CPU seconds every process of the machine has used so far (user, nice, system, interrupts; {@code /proc/stat}'s
     * first line): the difference over a phase is what the phase cost, background processes and forks included.
     */
    static double machineCpuSeconds() {
        try {
            List<String> f = java.util.Arrays.asList(java.util.regex.Pattern.compile("\\s+")
                    .split(Files.readAllLines(Path.of("/proc/stat")).get(0).trim()));
            // cpu user nice system idle iowait irq softirq steal
            long busy = Long.parseLong(f.get(1))
                    + Long.parseLong(f.get(2))
                    + Long.parseLong(f.get(3))
                    + Long.parseLong(f.get(6))
                    + Long.parseLong(f.get(7))
                    + Long.parseLong(f.get(8));
            return busy / TICKS;
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read /proc/stat: " + e.getMessage(), e);
        }
    }

    private static double ticks() {
        Processes.Result r = Processes.run(List.of("getconf", "CLK_TCK"));
        try {
            return r.ok() ? Double.parseDouble(r.output().strip()) : 100;
        } catch (NumberFormatException e) {
            return 100;
        }
    }
}
