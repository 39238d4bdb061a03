package dev.pitr.retention;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * What to keep. Grandfather-father-son: the newest snapshot of each of the last {@code daily} days, {@code weekly} ISO
 * weeks and {@code monthly} months that have one (days, weeks and months in {@code zone}); every snapshot pinned with
 * {@code pitr snapshot pin}; and whatever restoring to any point of the last {@code minWindow} needs. Expired objects
 * stay stored for {@code grace} after the catalog stops calling them restorable.
 */
public record RetentionPolicy(int daily, int weekly, int monthly, Duration minWindow, Duration grace, ZoneId zone) {

    public static final RetentionPolicy DEFAULT =
            new RetentionPolicy(7, 4, 0, Duration.ofDays(7), Duration.ofDays(1), ZoneId.of("UTC"));

    public RetentionPolicy {
        if (daily < 0 || weekly < 0 || monthly < 0) {
            throw new IllegalArgumentException("snapshot counts cannot be negative");
        }
        if (daily + weekly + monthly == 0) {
            throw new IllegalArgumentException("keep at least one daily, weekly or monthly snapshot");
        }
        if (minWindow.isNegative() || grace.isNegative()) {
            throw new IllegalArgumentException("the window and the grace period cannot be negative");
        }
    }

    /** The configuration keys, as paths ({@code retention.daily}); the environment form is {@code PITR_RETENTION_DAILY}. */
    public static final List<String> KEYS = List.of(
            "retention.daily",
            "retention.weekly",
            "retention.monthly",
            "retention.min_window",
            "retention.grace",
            "timezone");

    /**
     * The policy the settings give ({@code setting} maps a key of {@link #KEYS} to its value, or null for the default);
     * {@code source} names where they came from, for errors.
     */
    public static RetentionPolicy from(Function<String, String> setting, String source) {
        try {
            return new RetentionPolicy(
                    count(setting, "retention.daily", DEFAULT.daily(), source),
                    count(setting, "retention.weekly", DEFAULT.weekly(), source),
                    count(setting, "retention.monthly", DEFAULT.monthly(), source),
                    duration(setting, "retention.min_window", DEFAULT.minWindow(), source),
                    duration(setting, "retention.grace", DEFAULT.grace(), source),
                    ZoneId.of(Optional.ofNullable(setting.apply("timezone")).orElse("UTC")));
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "retention settings in " + source + ": " + e.getMessage(),
                    "fix the retention.* keys in " + source);
        }
    }

    private static int count(Function<String, String> setting, String key, int fallback, String source) {
        String v = setting.apply(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "'" + key + "' must be a whole number, got '" + v + "'",
                    "fix '" + key + "' in " + source);
        }
    }

    private static Duration duration(Function<String, String> setting, String key, Duration fallback, String source) {
        String v = setting.apply(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        return parseDuration(v)
                .orElseThrow(() -> new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "'" + key + "' must be a duration such as 7d, 36h, 90m or P7D, got '" + v + "'",
                        "fix '" + key + "' in " + source));
    }

    /** {@code 7d}, {@code 36h}, {@code 90m}, {@code 45s}, or ISO-8601 ({@code P7D}, {@code PT36H}). */
    public static Optional<Duration> parseDuration(String text) {
        String t = text.trim();
        try {
            if (t.startsWith("P") || t.startsWith("p")) {
                return Optional.of(Duration.parse(t));
            }
            if (t.length() < 2) {
                return Optional.empty();
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (Character.toLowerCase(t.charAt(t.length() - 1))) {
                case 'd' -> Optional.of(Duration.ofDays(n));
                case 'h' -> Optional.of(Duration.ofHours(n));
                case 'm' -> Optional.of(Duration.ofMinutes(n));
                case 's' -> Optional.of(Duration.ofSeconds(n));
                default -> Optional.empty();
            };
        } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /**
     * The policy as the settings that give it back through {@link #decode}: {@code retention.daily=7
     * retention.weekly=4 ... timezone=UTC}, one space between, in {@link #KEYS} order.
     */
    public String encode() {
        return "retention.daily=" + daily + " retention.weekly=" + weekly + " retention.monthly=" + monthly
                + " retention.min_window=" + minWindow + " retention.grace=" + grace + " timezone=" + zone.getId();
    }

    /** The policy {@link #encode} wrote; {@code source} names where it was kept, for errors. */
    public static RetentionPolicy decode(String text, String source) {
        java.util.Map<String, String> settings = new java.util.HashMap<>();
        for (String pair : text.trim().split(" +", -1)) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                settings.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        return from(settings::get, source);
    }

    /** E.g. {@code 7 daily, 4 weekly, 0 monthly; window 7d; grace 1d}. */
    public String describe() {
        return daily + " daily, " + weekly + " weekly, " + monthly + " monthly; minimum window " + human(minWindow)
                + "; grace " + human(grace);
    }

    /**
     * A duration as {@link #parseDuration} reads it back: {@code 7d}, {@code 36h}, {@code 90m}, {@code 45s} (a part of a
     * second is dropped).
     */
    public static String human(Duration d) {
        if (d.toDays() > 0 && d.equals(Duration.ofDays(d.toDays()))) {
            return d.toDays() + "d";
        }
        if (d.toHours() > 0 && d.equals(Duration.ofHours(d.toHours()))) {
            return d.toHours() + "h";
        }
        if (d.toMinutes() > 0 && d.equals(Duration.ofMinutes(d.toMinutes()))) {
            return d.toMinutes() + "m";
        }
        return d.toSeconds() + "s";
    }
}
