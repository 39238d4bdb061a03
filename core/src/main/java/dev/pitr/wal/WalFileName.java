package dev.pitr.wal;

/**
 * The name of a complete WAL segment file: 24 hex digits, the timeline and then the segment's place in the WAL. It
 * names a segment without knowing the segment size (which the last 16 digits depend on), so a catalog keys segments
 * by it; {@link SegmentName}, which knows the size, gives it with {@link SegmentName#walFileName()}. Names order as
 * PostgreSQL's do, by timeline and then by place.
 */
public record WalFileName(String text) implements Comparable<WalFileName> {

    public WalFileName {
        if (!SegmentName.isSegmentFileName(text)) {
            throw new IllegalArgumentException("'" + text + "' is not a WAL segment file name (24 hex digits)");
        }
    }

    /**
     * The name {@code text} spells.
     *
     * @throws IllegalArgumentException unless {@code text} is 24 upper-case hex digits
     */
    public static WalFileName of(String text) {
        return new WalFileName(text);
    }

    /** For a stored field that may be empty: null for null, else {@link #of}. */
    public static WalFileName orNull(String text) {
        return text == null ? null : new WalFileName(text);
    }

    /** What {@link #orNull} reads back: null for null, else the text. */
    public static String textOrNull(WalFileName name) {
        return name == null ? null : name.text;
    }

    public TimelineId timeline() {
        return TimelineId.parseHex(text.substring(0, 8));
    }

    @Override
    public int compareTo(WalFileName o) {
        return text.compareTo(o.text);
    }

    @Override
    public String toString() {
        return text;
    }
}
