package dev.pitr.catalog;

import java.util.Locale;
import java.util.Objects;

/**
 * Whether a snapshot holds every file whole (a full) or only what changed since its parent (an incremental), and in
 * which form: {@code BLOCK}, pitr's block-level form of each relation file ({@code ChangedBlocks}), or {@code NATIVE},
 * PostgreSQL's own incremental backup (17 and later, {@code pg_basebackup --incremental}). A restore through an
 * incremental needs its parent, and the parent's parent, down to a full.
 */
public record SnapshotLineage(Kind kind, SnapshotId parent) {

    /** How a snapshot stores its files. */
    public enum Kind {
        FULL,
        BLOCK,
        NATIVE
    }

    /** A full snapshot: every file whole, no parent. What every snapshot recorded before lineage was kept is. */
    public static final SnapshotLineage FULL = new SnapshotLineage(Kind.FULL, null);

    public SnapshotLineage {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.FULL) != (parent == null)) {
            throw new IllegalArgumentException(
                    kind == Kind.FULL ? "a full snapshot has no parent" : "an incremental snapshot needs a parent");
        }
    }

    public boolean incremental() {
        return kind != Kind.FULL;
    }

    /** {@code full}, or the kind and the parent: {@code block:20261206T144137Z}. */
    public String text() {
        return kind == Kind.FULL ? "full" : kind.name().toLowerCase(Locale.ROOT) + ":" + parent;
    }

    /** Reads {@link #text()}; null or empty (a record written before lineage was kept) is a full. */
    public static SnapshotLineage parse(String text) {
        if (text == null || text.isEmpty() || text.equals("full")) {
            return FULL;
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not a snapshot lineage: " + text);
        }
        Kind kind;
        try {
            kind = Kind.valueOf(text.substring(0, colon).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a snapshot lineage: " + text, e);
        }
        if (kind == Kind.FULL) {
            throw new IllegalArgumentException("not a snapshot lineage: " + text);
        }
        return new SnapshotLineage(kind, new SnapshotId(text.substring(colon + 1)));
    }
}
