package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineHistory;
import dev.pitr.wal.TimelineId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Summing segment records up into {@link SegmentBlock}s, and the cuts the other records put into them. */
public final class SegmentBlocks {

    private SegmentBlocks() {}

    /** What a catalog sums its summaries up from: its own records. */
    public interface Records {
        /** The unexpired segments of {@code timeline} numbered {@code from} to {@code to}. */
        List<SegmentRecord> live(TimelineId timeline, long from, long to);

        /** The expired segments not yet forgotten, numbered {@code from} to {@code to}. */
        List<SegmentBlock.Expiry> expired(TimelineId timeline, long from, long to);

        /** Every cut the histories and snapshots make. */
        List<Cut> cuts();

        /** The archive's segment size, or 0 before any segment is recorded. */
        long segmentSize();
    }

    /** The records of {@code catalog}, read through its own methods; {@code segmentSize} as the catalog knows it. */
    public static Records recordsOf(Catalog catalog, java.util.function.LongSupplier segmentSize) {
        return new Records() {
            @Override
            public List<SegmentRecord> live(TimelineId timeline, long from, long to) {
                return catalog.segments(timeline, from, to);
            }

            @Override
            public List<SegmentBlock.Expiry> expired(TimelineId timeline, long from, long to) {
                long size = segmentSize.getAsLong();
                if (size == 0 || from > to) {
                    return List.of();
                }
                List<SegmentBlock.Expiry> out = new ArrayList<>();
                for (ExpiredSegment e : catalog.expiredSegments(
                        new SegmentName(timeline, from, size).walFileName(),
                        new SegmentName(timeline, to, size).walFileName())) {
                    out.add(new SegmentBlock.Expiry(
                            SegmentName.of(e.fileName(), size).segno(), e.expiredAt(), e.removedAt()));
                }
                return out;
            }

            @Override
            public List<Cut> cuts() {
                return SegmentBlocks.cuts(catalog.histories(), catalog.snapshots());
            }

            @Override
            public long segmentSize() {
                return segmentSize.getAsLong();
            }
        };
    }

    /** Where the WAL of {@code timeline} must not be summed up across {@code at}. */
    public record Cut(TimelineId timeline, Lsn at) {}

    /**
     * The cuts the histories and snapshots make: each point where a timeline branched off its parent (on the parent),
     * and the start of each snapshot's WAL (on its timeline).
     */
    public static List<Cut> cuts(List<HistoryRecord> histories, List<SnapshotRecord> snapshots) {
        List<Cut> out = new ArrayList<>();
        histories.forEach(h -> out.addAll(cuts(h)));
        snapshots.forEach(s -> cut(s).ifPresent(out::add));
        return out;
    }

    /** The cuts one history file makes: on each ancestor, the point the next timeline branched off it. */
    public static List<Cut> cuts(HistoryRecord h) {
        List<Cut> out = new ArrayList<>();
        TimelineHistory parsed;
        try {
            parsed = h.parsed();
        } catch (RuntimeException e) {
            // a history the window cannot follow either: it makes no cut
            return out;
        }
        for (TimelineHistory.Entry e : parsed.entries()) {
            out.add(new Cut(e.parent(), e.switchpoint()));
        }
        return out;
    }

    /** The cut a snapshot makes at the start of its WAL, if it has one yet. */
    public static Optional<Cut> cut(SnapshotRecord s) {
        return s.startLsn() == null ? Optional.empty() : Optional.of(new Cut(s.timeline(), s.startLsn()));
    }

    /**
     * The blocks of these records: {@code live} the unexpired segments, {@code expired} the expired ones not yet
     * forgotten. By timeline, then block.
     */
    public static List<SegmentBlock> of(List<SegmentRecord> live, List<ExpiredSegment> expired, List<Cut> cuts) {
        long size = live.isEmpty() ? 0 : live.get(0).name().segmentSize();
        Map<Key, List<SegmentRecord>> segs = new TreeMap<>();
        Map<Key, List<Lsn>> cutsOf = new TreeMap<>();
        Map<Key, List<SegmentBlock.Expiry>> spans = new TreeMap<>();
        for (SegmentRecord s : live) {
            segs.computeIfAbsent(key(s.name().timeline(), SegmentBlock.numberOf(s.startLsn())), k -> new ArrayList<>())
                    .add(s);
        }
        for (Cut c : cuts) {
            cutsOf.computeIfAbsent(key(c.timeline(), SegmentBlock.numberOf(c.at())), k -> new ArrayList<>())
                    .add(c.at());
        }
        if (size > 0) {
            for (ExpiredSegment e : expired) {
                SegmentName n = SegmentName.of(e.fileName(), size);
                Key k = key(n.timeline(), SegmentBlock.numberOf(n.startLsn()));
                spans.computeIfAbsent(k, x -> new ArrayList<>())
                        .add(new SegmentBlock.Expiry(n.segno(), e.expiredAt(), e.removedAt()));
            }
        }
        TreeMap<Key, Boolean> keys = new TreeMap<>();
        segs.keySet().forEach(k -> keys.put(k, true));
        cutsOf.keySet().forEach(k -> keys.put(k, true));
        spans.keySet().forEach(k -> keys.put(k, true));
        List<SegmentBlock> out = new ArrayList<>();
        for (Key k : keys.keySet()) {
            TimelineId t = k.timeline();
            long number = k.number();
            out.add(SegmentBlock.of(
                    t,
                    number,
                    size,
                    segs.getOrDefault(k, List.of()),
                    cutsOf.getOrDefault(k, List.of()),
                    spans.getOrDefault(k, List.of())));
        }
        out.sort(Comparator.comparing(SegmentBlock::timeline).thenComparingLong(SegmentBlock::number));
        return out;
    }

    private record Key(TimelineId timeline, long number) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = timeline.compareTo(o.timeline);
            return c != 0 ? c : Long.compare(number, o.number);
        }
    }

    private static Key key(TimelineId t, long number) {
        return new Key(t, number);
    }
}
