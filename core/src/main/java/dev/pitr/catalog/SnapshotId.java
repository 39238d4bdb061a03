package dev.pitr.catalog;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/** Names a snapshot by its start time in UTC, e.g. {@code 20251123T144137Z}; sortable as text. */
public record SnapshotId(String value) implements Comparable<SnapshotId> {

    private static final Pattern FORM = Pattern.compile("\\d{8}T\\d{6}Z(-\\d+)?");
    private static final DateTimeFormatter FMT =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    public SnapshotId {
        if (!FORM.matcher(value).matches()) {
            throw new IllegalArgumentException("not a snapshot id: " + value);
        }
    }

    public static boolean isValid(String value) {
        return value != null && FORM.matcher(value).matches();
    }

    public static SnapshotId at(Instant start) {
        return new SnapshotId(FMT.format(start));
    }

    @Override
    public int compareTo(SnapshotId o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
