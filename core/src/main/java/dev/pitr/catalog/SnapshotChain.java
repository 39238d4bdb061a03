package dev.pitr.catalog;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What a restore of one snapshot lays down: the full it stands on, then every incremental above it up to the snapshot
 * itself, oldest first. An incremental is restorable only when every link below it is a complete snapshot of the same
 * timeline: a parent that is missing from the catalog, failed, expired or removed makes it, and everything above it,
 * unusable. {@link #resolve} says which link broke and why.
 */
public record SnapshotChain(List<SnapshotRecord> links) {

    /** Longer chains than this are refused as damaged: pitr never makes one anywhere near it. */
    static final int LONGEST = 1000;

    public SnapshotChain {
        links = List.copyOf(links);
        if (links.isEmpty() || links.get(0).lineage().incremental()) {
            throw new IllegalArgumentException("a chain starts at a full snapshot");
        }
    }

    /** Why a snapshot cannot be restored through its chain. */
    public record Broken(SnapshotRecord snapshot, SnapshotId link, String reason) {}

    /** The chain under {@code top}, or why it is broken; either is present. */
    public record Resolved(Optional<SnapshotChain> chain, Optional<Broken> broken) {}

    /** The snapshot a restore of this chain ends at. */
    public SnapshotRecord top() {
        return links.get(links.size() - 1);
    }

    public SnapshotRecord full() {
        return links.get(0);
    }

    /** The number of incrementals on the full (0 for a full alone). */
    public int length() {
        return links.size() - 1;
    }

    /** What the chain's objects hold, decoded: every link's tar. */
    public long plainSize() {
        return links.stream().mapToLong(SnapshotRecord::plainSize).sum();
    }

    /** What the chain's objects take in storage. */
    public long storedSize() {
        return links.stream().mapToLong(SnapshotRecord::storedSize).sum();
    }

    /**
     * Follows {@code top}'s parents through {@code lookup} down to a full. Every link below {@code top} must be {@link
     * SnapshotRecord.Status#COMPLETE} and on {@code top}'s timeline; {@code top} itself is taken as it is.
     */
    public static Resolved resolve(SnapshotRecord top, Function<SnapshotId, Optional<SnapshotRecord>> lookup) {
        List<SnapshotRecord> links = new ArrayList<>();
        Set<SnapshotId> seen = new HashSet<>();
        links.add(top);
        seen.add(top.id());
        SnapshotRecord at = top;
        while (at.lineage().incremental()) {
            SnapshotId parentId = at.lineage().parent();
            Optional<SnapshotRecord> parent = lookup.apply(parentId);
            String reason = null;
            if (parent.isEmpty()) {
                reason = "its parent " + parentId + " is not in the catalog";
            } else if (!seen.add(parentId) || links.size() > LONGEST) {
                reason = "its chain of parents loops at " + parentId;
            } else if (parent.get().status() != SnapshotRecord.Status.COMPLETE) {
                reason = "its parent " + parentId + " is "
                        + parent.get().status().name().toLowerCase(java.util.Locale.ROOT);
            } else if (!parent.get().timeline().equals(top.timeline())) {
                reason = "its parent " + parentId + " is on timeline "
                        + parent.get().timeline() + ", not " + top.timeline();
            }
            if (reason != null) {
                String which = at.id().equals(top.id()) ? "" : " (through " + at.id() + ")";
                return new Resolved(
                        Optional.empty(),
                        Optional.of(new Broken(
                                top,
                                parentId,
                                "snapshot " + top.id() + " is an incremental whose chain is" + " broken" + which + ": "
                                        + reason)));
            }
            at = parent.get();
            links.add(at);
        }
        Collections.reverse(links);
        return new Resolved(Optional.of(new SnapshotChain(links)), Optional.empty());
    }

    /** Finds snapshots by id among {@code all}, the catalog's snapshot records, for {@link #resolve}. */
    public static Function<SnapshotId, Optional<SnapshotRecord>> lookup(List<SnapshotRecord> all) {
        java.util.Map<SnapshotId, SnapshotRecord> byId = new java.util.HashMap<>();
        all.forEach(s -> byId.put(s.id(), s));
        return id -> Optional.ofNullable(byId.get(id));
    }
}
