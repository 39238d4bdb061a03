package dev.pitr.wal;

/** Where WAL files live in storage: segments grouped by timeline and xlog id, like PostgreSQL's own naming. */
public final class WalKeys {

    private WalKeys() {}

    public static String segment(SegmentName name) {
        String f = name.fileName();
        return "wal/" + f.substring(0, 16) + "/" + f + ".zst";
    }

    /**
     * A backup history file or a promoted standby's {@code .partial}, kept as archive_command was handed it, beside the
     * segment its name begins with.
     */
    public static String kept(String fileName) {
        return "wal/" + fileName.substring(0, 16) + "/" + fileName + ".zst";
    }

    private static final java.util.regex.Pattern KEPT =
            java.util.regex.Pattern.compile(".*\\.(backup|partial)(\\.[0-9a-f]{16})?\\.zst");

    /** True for a key {@link #kept} makes: for the file's name, or its name and the start of its SHA-256. */
    public static boolean isKept(String key) {
        return KEPT.matcher(key).matches();
    }

    public static String history(TimelineId tli) {
        return "wal/" + TimelineHistory.fileName(tli) + ".zst";
    }
}
