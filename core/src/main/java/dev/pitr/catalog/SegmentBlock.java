package dev.pitr.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalRecords;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * The summary of one timeline's segments in one stretch of {@link #BLOCK_BYTES} of WAL, kept by the catalog with every
 * segment it records, expires and forgets, so that the restore window and status read a few of these instead of every
 * segment. It holds the readable segments as {@link Extent}s, the unreadable ones, the expired stretches, the sizes and
 * counts, and the newest segment by archive time.
 *
 * <p>Extents never span a <em>cut</em>: the start of a snapshot's WAL and a point where another timeline branched off.
 * That keeps every figure of an extent exact for the window, which starts ranges at snapshots and follows timelines only
 * up to their switch points. A cut that falls inside an extent already summed up needs the block summed up again from
 * its segments ({@link #crossedBy}, {@link #of}).
 *
 * <p>A summary is not trusted blindly: {@link #problem()} names what does not add up, and the catalog sums the block up
 * again from its segment records.
 */
public record SegmentBlock(
        TimelineId timeline,
        long number,
        long segmentSize,
        List<Extent> extents,
        List<Unreadable> unreadable,
        List<Span> expired,
        long awaiting,
        Instant firstAwaiting,
        List<Lsn> cuts,
        long count,
        long plainBytes,
        long storedBytes,
        Newest newest) {

    /** Bits of an LSN below the block number: a block is 64 GiB of WAL, 4,096 segments of 16 MiB. */
    public static final int BLOCK_SHIFT = 36;

    public static final long BLOCK_BYTES = 1L << BLOCK_SHIFT;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A segment archived whole but not readable as WAL. */
    public record Unreadable(long segno, String problem, Instant archivedAt) {}

    /** Segments {@code first} to {@code last} that retention expired and whose records are not yet forgotten. */
    public record Span(long first, long last) {
        public boolean contains(long segno) {
            return first <= segno && segno <= last;
        }
    }

    /** An expired segment: when it expired, and when its objects were handed to storage for removal (or null). */
    public record Expiry(long segno, Instant expiredAt, Instant removedAt) {}

    /** The segment archived last, for status. */
    public record Newest(long segno, Lsn endLsn, Instant archivedAt, Instant lastEnd) {}

    public SegmentBlock {
        extents = List.copyOf(extents);
        unreadable = List.copyOf(unreadable);
        expired = List.copyOf(expired);
        cuts = List.copyOf(new TreeSet<>(cuts));
    }

    /** The block holding {@code lsn}. */
    public static long numberOf(Lsn lsn) {
        return lsn.value() >>> BLOCK_SHIFT;
    }

    public static SegmentBlock empty(TimelineId timeline, long number) {
        return new SegmentBlock(
                timeline, number, 0, List.of(), List.of(), List.of(), 0, null, List.of(), 0, 0, 0, null);
    }

    /**
     * The block summed up from its segment records: {@code live} the unexpired ones, {@code expired} the expired ones
     * not yet forgotten, both in any order; with {@code cuts}.
     */
    public static SegmentBlock of(
            TimelineId timeline, long number, List<SegmentRecord> live, List<Lsn> cuts, List<Expiry> expired) {
        List<Long> segnos = new ArrayList<>();
        long awaiting = 0;
        Instant first = null;
        for (Expiry e : expired) {
            segnos.add(e.segno());
            if (e.removedAt() == null) {
                awaiting++;
                first = Extent.earlier(first, e.expiredAt());
            }
        }
        SegmentBlock b = new SegmentBlock(
                timeline, number, 0, List.of(), List.of(), spans(segnos), awaiting, first, cuts, 0, 0, 0, null);
        List<SegmentRecord> sorted = new ArrayList<>(live);
        sorted.sort(Comparator.comparingLong(s -> s.name().segno()));
        for (SegmentRecord s : sorted) {
            b = b.with(s);
        }
        return b;
    }

    /** First segment number of the block, for segments of {@code size} bytes. */
    public static long firstSegno(long number, long size) {
        return (number << BLOCK_SHIFT) / size;
    }

    /** Last segment number of the block, for segments of {@code size} bytes. */
    public static long lastSegno(long number, long size) {
        return ((number + 1) << BLOCK_SHIFT) / size - 1;
    }

    /** The block with segment {@code s} added; {@code s} must belong to it and not be in it yet. */
    public SegmentBlock with(SegmentRecord s) {
        long size = s.name().segmentSize();
        if (!s.name().timeline().equals(timeline) || numberOf(s.startLsn()) != number) {
            throw new IllegalArgumentException("segment " + s.name() + " is not in block " + this.describe());
        }
        long segno = s.name().segno();
        Newest n = newest == null
                        || s.archivedAt().isAfter(newest.archivedAt())
                        || (s.archivedAt().equals(newest.archivedAt()) && segno > newest.segno())
                ? new Newest(
                        segno,
                        s.endLsn(),
                        s.archivedAt(),
                        s.index() == null ? null : s.index().lastEnd())
                : newest;
        List<Extent> ext = new ArrayList<>(extents);
        List<Unreadable> bad = new ArrayList<>(unreadable);
        if (s.index() != null && s.index().problem() != null) {
            bad.add(new Unreadable(segno, s.index().problem(), s.archivedAt()));
            bad.sort(Comparator.comparingLong(Unreadable::segno));
        } else {
            Extent e = Extent.of(s);
            int at = 0;
            while (at < ext.size() && ext.get(at).last() < segno) {
                at++;
            }
            if (at > 0
                    && ext.get(at - 1).last() == segno - 1
                    && !cutAt(segno, size)
                    && !ext.get(at - 1).partialEnd(size)) {
                e = ext.remove(--at).join(e);
            }
            if (at < ext.size() && ext.get(at).first() == segno + 1 && !cutAt(segno + 1, size) && !s.partial()) {
                e = e.join(ext.remove(at));
            }
            ext.add(at, e);
        }
        return new SegmentBlock(
                timeline,
                number,
                size,
                ext,
                bad,
                expired,
                awaiting,
                firstAwaiting,
                cuts,
                count + 1,
                plainBytes + s.plainSize(),
                storedBytes + s.storedSize(),
                n);
    }

    /** True when an extent must not run from segment {@code segno - 1} into {@code segno}. */
    private boolean cutAt(long segno, long size) {
        for (Lsn c : cuts) {
            if (c.value() / size == segno) {
                return true;
            }
        }
        return false;
    }

    /** True when adding {@code cut} splits an extent, so that the block must be summed up again ({@link #of}). */
    public boolean crossedBy(Lsn cut) {
        if (segmentSize == 0) {
            return false;
        }
        long c = cut.value() / segmentSize;
        return extents.stream().anyMatch(e -> e.first() < c && c <= e.last());
    }

    /** The block with {@code cut} noted; when {@link #crossedBy} it, sum the block up again instead. */
    public SegmentBlock withCut(Lsn cut) {
        List<Lsn> c = new ArrayList<>(cuts);
        c.add(cut);
        return new SegmentBlock(
                timeline,
                number,
                segmentSize,
                extents,
                unreadable,
                expired,
                awaiting,
                firstAwaiting,
                c,
                count,
                plainBytes,
                storedBytes,
                newest);
    }

    /** Segment numbers as stretches of consecutive ones. */
    static List<Span> spans(List<Long> segnos) {
        List<Long> sorted = new ArrayList<>(new TreeSet<>(segnos));
        List<Span> out = new ArrayList<>();
        for (long n : sorted) {
            Span prev = out.isEmpty() ? null : out.get(out.size() - 1);
            if (prev != null && prev.last() + 1 == n) {
                out.set(out.size() - 1, new Span(prev.first(), n));
            } else {
                out.add(new Span(n, n));
            }
        }
        return out;
    }

    /** The block without expired segment {@code segno}, a removed one whose record was forgotten. */
    public SegmentBlock withoutExpired(long segno) {
        List<Span> out = new ArrayList<>();
        for (Span s : expired) {
            if (!s.contains(segno)) {
                out.add(s);
                continue;
            }
            if (s.first() < segno) {
                out.add(new Span(s.first(), segno - 1));
            }
            if (segno < s.last()) {
                out.add(new Span(segno + 1, s.last()));
            }
        }
        return new SegmentBlock(
                timeline,
                number,
                segmentSize,
                extents,
                unreadable,
                out,
                awaiting,
                firstAwaiting,
                cuts,
                count,
                plainBytes,
                storedBytes,
                newest);
    }

    public boolean isExpired(long segno) {
        return expired.stream().anyMatch(s -> s.contains(segno));
    }

    /** True when the block holds nothing worth keeping: no segment, no expired stretch and no cut. */
    public boolean isEmpty() {
        return count == 0 && expired.isEmpty() && cuts.isEmpty();
    }

    /** What does not add up in this summary, or null when it is consistent. */
    public String problem() {
        long held = unreadable.size();
        long prev = Long.MIN_VALUE;
        for (Extent e : extents) {
            if (!e.timeline().equals(timeline)) {
                return "extent " + e.first() + ".." + e.last() + " names timeline " + e.timeline();
            }
            if (e.first() <= prev) {
                return "extents overlap or are out of order at segment " + e.first();
            }
            if (segmentSize <= 0
                    || e.first() < firstSegno(number, segmentSize)
                    || e.last() > lastSegno(number, segmentSize)) {
                return "extent " + e.first() + ".." + e.last() + " lies outside the block";
            }
            if (cuts.stream().anyMatch(c -> {
                long s = c.value() / segmentSize;
                return e.first() < s && s <= e.last();
            })) {
                return "extent " + e.first() + ".." + e.last() + " runs across a cut";
            }
            held += e.count();
            prev = e.last();
        }
        for (Unreadable u : unreadable) {
            if (extents.stream().anyMatch(e -> e.contains(u.segno()))) {
                return "segment " + u.segno() + " is both readable and unreadable";
            }
        }
        if (held != count) {
            return "it counts " + count + " segments but its extents hold " + held;
        }
        if (count > 0 && newest == null) {
            return "it has segments but no newest";
        }
        long expiredCount =
                expired.stream().mapToLong(x -> x.last() - x.first() + 1).sum();
        if (awaiting < 0 || awaiting > expiredCount || (awaiting > 0) != (firstAwaiting != null)) {
            return "it has " + awaiting + " segments awaiting removal of " + expiredCount + " expired";
        }
        return null;
    }

    /** E.g. {@code timeline 2 block 3}, for messages. */
    public String describe() {
        return "timeline " + timeline + " block " + number;
    }

    /** Everything but the timeline and number, as one JSON text. */
    public String encode() {
        ObjectNode o = JSON.createObjectNode();
        o.put("size", segmentSize);
        o.put("count", count);
        o.put("plain", plainBytes);
        o.put("stored", storedBytes);
        ArrayNode ex = o.putArray("extents");
        for (Extent e : extents) {
            ArrayNode a = ex.addArray();
            a.add(e.first()).add(e.last()).add(e.endLsn().value());
            a.add(nanos(e.lastEnd())).add(e.unindexed()).add(nanos(e.unindexedArchivedAt()));
            a.add(e.minXid()).add(e.maxXid()).add(nanos(e.archivedFrom())).add(nanos(e.archivedTo()));
            ArrayNode p = a.addArray();
            for (Extent.Point r : e.points()) {
                p.addArray()
                        .add(r.segno())
                        .add(r.point().lsn().value())
                        .add(r.point().name())
                        .add(nanos(r.point().time()));
            }
        }
        ArrayNode un = o.putArray("unreadable");
        unreadable.forEach(u -> un.addArray().add(u.segno()).add(u.problem()).add(nanos(u.archivedAt())));
        ArrayNode sp = o.putArray("expired");
        expired.forEach(s -> sp.addArray().add(s.first()).add(s.last()));
        o.put("awaiting", awaiting);
        o.put("firstAwaiting", nanos(firstAwaiting));
        ArrayNode cu = o.putArray("cuts");
        cuts.forEach(c -> cu.add(c.value()));
        if (newest != null) {
            o.putArray("newest")
                    .add(newest.segno())
                    .add(newest.endLsn().value())
                    .add(nanos(newest.archivedAt()))
                    .add(nanos(newest.lastEnd()));
        }
        return o.toString();
    }

    /**
     * Reads {@link #encode()}'s text. Text that is not a summary throws {@link IllegalArgumentException}, so that the
     * catalog sums the block up again.
     */
    public static SegmentBlock decode(TimelineId timeline, long number, String text) {
        try {
            JsonNode o = JSON.readTree(text);
            List<Extent> ext = new ArrayList<>();
            for (JsonNode a : req(o, "extents")) {
                List<Extent.Point> points = new ArrayList<>();
                for (JsonNode p : a.get(10)) {
                    points.add(new Extent.Point(
                            p.get(0).asLong(),
                            new WalRecords.RestorePoint(
                                    new Lsn(p.get(1).asLong()), p.get(2).asText(), instant(p.get(3)))));
                }
                ext.add(new Extent(
                        timeline,
                        a.get(0).asLong(),
                        a.get(1).asLong(),
                        new Lsn(a.get(2).asLong()),
                        instant(a.get(3)),
                        a.get(4).asInt(),
                        instant(a.get(5)),
                        a.get(6).asLong(),
                        a.get(7).asLong(),
                        points,
                        instant(a.get(8)),
                        instant(a.get(9))));
            }
            List<Unreadable> un = new ArrayList<>();
            for (JsonNode a : req(o, "unreadable")) {
                un.add(new Unreadable(a.get(0).asLong(), a.get(1).asText(), instant(a.get(2))));
            }
            List<Span> sp = new ArrayList<>();
            for (JsonNode a : req(o, "expired")) {
                sp.add(new Span(a.get(0).asLong(), a.get(1).asLong()));
            }
            List<Lsn> cu = new ArrayList<>();
            req(o, "cuts").forEach(c -> cu.add(new Lsn(c.asLong())));
            JsonNode n = o.get("newest");
            return new SegmentBlock(
                    timeline,
                    number,
                    req(o, "size").asLong(),
                    ext,
                    un,
                    sp,
                    req(o, "awaiting").asLong(),
                    instant(o.get("firstAwaiting")),
                    cu,
                    req(o, "count").asLong(),
                    req(o, "plain").asLong(),
                    req(o, "stored").asLong(),
                    n == null
                            ? null
                            : new Newest(
                                    n.get(0).asLong(),
                                    new Lsn(n.get(1).asLong()),
                                    instant(n.get(2)),
                                    instant(n.get(3))));
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IllegalArgumentException(
                    "the summary of timeline " + timeline + " block " + number + " is not readable: " + e.getMessage(),
                    e);
        }
    }

    private static JsonNode req(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("no " + field);
        }
        return v;
    }

    private static Long nanos(Instant t) {
        return t == null ? null : Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    private static Instant instant(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        long v = n.asLong();
        return Instant.ofEpochSecond(Math.floorDiv(v, 1_000_000_000L), Math.floorMod(v, 1_000_000_000L));
    }
}
