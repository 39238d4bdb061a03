package dev.pitr.wal;

/** Where WAL files live in storage: segments grouped by timeline and xlog id, like PostgreSQL's own naming. */
public final class WalKeys {

    private WalKeys() {}

    public static String segment(SegmentName name) {
        String f = name.fileName();
        return "wal/" + f.substring(0, 16) + "/" + f + ".zst";
    }

    public static String history(TimelineId tli) {
        return "wal/" + TimelineHistory.fileName(tli) + ".zst";
    }
}
