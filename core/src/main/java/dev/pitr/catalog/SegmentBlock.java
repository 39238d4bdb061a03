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
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiFunction;

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
        SortedMap<Instant, Long> awaiting,
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
        awaiting = Collections.unmodifiableSortedMap(new TreeMap<>(awaiting));
        cuts = List.copyOf(new TreeSet<>(cuts));
    }

    /** The block holding {@code lsn}. */
    public static long numberOf(Lsn lsn) {
        return lsn.value() >>> BLOCK_SHIFT;
    }

    public static SegmentBlock empty(TimelineId timeline, long number) {
        return new SegmentBlock(
                timeline, number, 0, List.of(), List.of(), List.of(), new TreeMap<>(), List.of(), 0, 0, 0, null);
    }

    /**
     * The block summed up from its segment records: {@code live} the unexpired ones, {@code expired} the expired ones
     * not yet forgotten, both in any order; with {@code cuts}. {@code segmentSize} is the archive's (0 while it has no
     * segment).
     */
    public static SegmentBlock of(
            TimelineId timeline,
            long number,
            long segmentSize,
            List<SegmentRecord> live,
            List<Lsn> cuts,
            List<Expiry> expired) {
        List<Long> segnos = new ArrayList<>();
        TreeMap<Instant, Long> awaiting = new TreeMap<>();
        for (Expiry e : expired) {
            segnos.add(e.segno());
            if (e.removedAt() == null) {
                awaiting.merge(e.expiredAt(), 1L, Long::sum);
            }
        }
        SegmentBlock b = new SegmentBlock(
                timeline, number, segmentSize, List.of(), List.of(), spans(segnos), awaiting, cuts, 0, 0, 0, null);
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
            // a summary stays small whatever a reader said of a segment
            String problem = s.index().problem();
            bad.add(new Unreadable(
                    segno, problem.length() > 200 ? problem.substring(0, 200) + "..." : problem, s.archivedAt()));
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
        return changed(expired, awaiting, c);
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
        return changed(out, awaiting, cuts);
    }

    /** This block with other expired stretches, awaiting counts or cuts; its segments as they are. */
    private SegmentBlock changed(List<Span> newExpired, SortedMap<Instant, Long> newAwaiting, List<Lsn> newCuts) {
        return new SegmentBlock(
                timeline,
                number,
                segmentSize,
                extents,
                unreadable,
                newExpired,
                newAwaiting,
                newCuts,
                count,
                plainBytes,
                storedBytes,
                newest);
    }

    /** True when segment {@code segno} is in this summary, readable or not. */
    public boolean holds(long segno) {
        return extents.stream().anyMatch(e -> e.contains(segno))
                || unreadable.stream().anyMatch(u -> u.segno() == segno);
    }

    /** How many expired segments await removal of their objects. */
    public long awaitingCount() {
        return awaiting.values().stream().mapToLong(Long::longValue).sum();
    }

    /** When the earliest of the segments awaiting removal expired, or null when none awaits. */
    public Instant firstAwaiting() {
        return awaiting.isEmpty() ? null : awaiting.firstKey();
    }

    /**
     * The block with the live segments {@code gone} (records of this block) expired at {@code at}. An extent they take
     * only a part of is summed up again from the records of the rest, read with {@code read} (this timeline, from, to);
     * records that do not match the summary throw {@link IllegalStateException}, and the catalog sums the whole block up
     * again.
     */
    public SegmentBlock expire(List<SegmentRecord> gone, Instant at, BiFunction<Long, Long, List<SegmentRecord>> read) {
        if (gone.isEmpty()) {
            return this;
        }
        TreeSet<Long> out = new TreeSet<>();
        long plain = plainBytes;
        long stored = storedBytes;
        for (SegmentRecord r : gone) {
            if (!r.name().timeline().equals(timeline)
                    || numberOf(r.startLsn()) != number
                    || !out.add(r.name().segno())) {
                throw new IllegalArgumentException("segment " + r.name() + " is not one to expire in " + describe());
            }
            plain -= r.plainSize();
            stored -= r.storedSize();
        }
        List<Extent> ext = new ArrayList<>();
        for (Extent e : extents) {
            Long inside = out.ceiling(e.first());
            if (inside == null || inside > e.last()) {
                ext.add(e);
                continue;
            }
            long from = e.first();
            for (long n = e.first(); n <= e.last() + 1; n++) {
                if (n > e.last() || out.contains(n)) {
                    if (from < n) {
                        List<SegmentRecord> rest = read.apply(from, n - 1);
                        if (rest.size() != n - from) {
                            throw new IllegalStateException(describe() + " says segments " + from + " to " + (n - 1)
                                    + " are archived, but " + rest.size() + " of them are");
                        }
                        ext.addAll(of(timeline, number, segmentSize, rest, cuts, List.of())
                                .extents());
                    }
                    from = n + 1;
                }
            }
        }
        List<Unreadable> bad =
                unreadable.stream().filter(u -> !out.contains(u.segno())).toList();
        long held = ext.stream().mapToLong(Extent::count).sum() + bad.size();
        if (held != count - out.size()) {
            throw new IllegalStateException(describe() + " counts " + count + " segments, which less the " + out.size()
                    + " expired is not the " + held + " left");
        }
        Newest n = newest;
        if (n != null && out.contains(n.segno())) {
            n = newestOf(ext, bad, read);
        }
        List<Long> spanned = new ArrayList<>(out);
        expired.forEach(x -> {
            for (long i = x.first(); i <= x.last(); i++) {
                spanned.add(i);
            }
        });
        TreeMap<Instant, Long> aw = new TreeMap<>(awaiting);
        aw.merge(at, (long) out.size(), Long::sum);
        return new SegmentBlock(
                timeline,
                number,
                segmentSize,
                ext,
                bad,
                spans(spanned),
                aw,
                cuts,
                count - out.size(),
                plain,
                stored,
                n);
    }

    /** The newest of what is left, read from the extent or unreadable segment archived last. */
    private Newest newestOf(List<Extent> ext, List<Unreadable> bad, BiFunction<Long, Long, List<SegmentRecord>> read) {
        Instant latest = null;
        long from = -1;
        long to = -1;
        for (Extent e : ext) {
            if (latest == null || e.archivedTo().isAfter(latest)) {
                latest = e.archivedTo();
                from = e.first();
                to = e.last();
            }
        }
        for (Unreadable u : bad) {
            if (latest == null || u.archivedAt().isAfter(latest)) {
                latest = u.archivedAt();
                from = u.segno();
                to = u.segno();
            }
        }
        if (latest == null) {
            return null;
        }
        Newest n = null;
        for (SegmentRecord s : read.apply(from, to)) {
            if (n == null || !s.archivedAt().isBefore(n.archivedAt())) {
                n = new Newest(
                        s.name().segno(),
                        s.endLsn(),
                        s.archivedAt(),
                        s.index() == null ? null : s.index().lastEnd());
            }
        }
        return n;
    }

    /** The block with the objects of these expired segments handed to storage for removal. */
    public SegmentBlock removed(List<Expiry> done) {
        TreeMap<Instant, Long> aw = new TreeMap<>(awaiting);
        for (Expiry e : done) {
            Long left = aw.get(e.expiredAt());
            if (e.removedAt() != null || left == null || !isExpired(e.segno())) {
                throw new IllegalStateException("segment " + e.segno() + " does not await removal in " + describe());
            }
            if (left == 1) {
                aw.remove(e.expiredAt());
            } else {
                aw.put(e.expiredAt(), left - 1);
            }
        }
        return changed(expired, aw, cuts);
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
        if (awaiting.values().stream().anyMatch(n -> n <= 0) || awaitingCount() > expiredCount) {
            return "it has " + awaitingCount() + " segments awaiting removal of " + expiredCount + " expired";
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
        ArrayNode aw = o.putArray("awaiting");
        awaiting.forEach((t, n) -> aw.addArray().add(nanos(t)).add(n));
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
                    awaiting(req(o, "awaiting")),
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

    private static SortedMap<Instant, Long> awaiting(JsonNode a) {
        TreeMap<Instant, Long> out = new TreeMap<>();
        a.forEach(x -> out.put(instant(x.get(0)), x.get(1).asLong()));
        return out;
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
