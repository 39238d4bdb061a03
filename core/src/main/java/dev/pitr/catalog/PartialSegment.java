package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A segment still being written, as far as capture has shipped it: its first {@link #bytes()} bytes, stored as
 * consecutive chunks, chunk {@code i} holding bytes {@code chunkEnds[i-1]..chunkEnds[i]} under {@link #chunkKey}.
 * Every chunk ends where a complete, checked WAL record ends, so the shipped bytes never hold torn WAL. {@code sha256}
 * is over all shipped bytes; {@code index} is the time index of those bytes. The complete segment, once archived,
 * takes its place.
 */
public record PartialSegment(
        SegmentName name,
        List<Long> chunkEnds,
        String sha256,
        long storedSize,
        String keyPrefix,
        String keyId,
        Instant archivedAt,
        SegmentIndex index) {

    /** Where every partial segment's chunks are stored, under a directory per timeline and segment. */
    public static final String KEY_ROOT = "partial/";

    public PartialSegment {
        chunkEnds = List.copyOf(chunkEnds);
        if (chunkEnds.isEmpty()) {
            throw new IllegalArgumentException("a partial segment has at least one chunk");
        }
        for (int i = 0; i < chunkEnds.size(); i++) {
            long start = i == 0 ? 0 : chunkEnds.get(i - 1);
            if (chunkEnds.get(i) <= start || chunkEnds.get(i) > name.segmentSize()) {
                throw new IllegalArgumentException("chunk ends must grow within the segment: " + chunkEnds);
            }
        }
    }

    /** How many bytes from the segment's start were shipped. */
    public long bytes() {
        return chunkEnds.get(chunkEnds.size() - 1);
    }

    /** The end of the shipped WAL. */
    public Lsn endLsn() {
        return new Lsn(name.startLsn().value() + bytes());
    }

    public long chunkStart(int i) {
        return i == 0 ? 0 : chunkEnds.get(i - 1);
    }

    /** Where chunk {@code i} is stored: its byte range in the segment, in hex, under {@link #keyPrefix}. */
    public String chunkKey(int i) {
        return keyPrefix + String.format("%08X-%08X", chunkStart(i), chunkEnds.get(i));
    }

    /** This partial with one more chunk, up to {@code end}. */
    public PartialSegment extend(
            long end, String newSha256, long chunkStoredSize, String newKeyId, Instant at, SegmentIndex newIndex) {
        List<Long> ends = new ArrayList<>(chunkEnds);
        ends.add(end);
        return new PartialSegment(
                name, ends, newSha256, storedSize + chunkStoredSize, keyPrefix, newKeyId, at, newIndex);
    }

    /**
     * The partial as the restorable window sees a segment: its plain size is the bytes shipped (short of the segment
     * size, which is how {@link SegmentRecord#partial()} tells), its storage key the chunks' prefix.
     */
    public SegmentRecord asSegment() {
        return new SegmentRecord(name, bytes(), storedSize, sha256, keyPrefix, keyId, archivedAt, index);
    }

    /** One line of text holding everything but the name, for catalogs that store a partial as one value. */
    public String encode() {
        StringBuilder ends = new StringBuilder();
        for (long e : chunkEnds) {
            ends.append(ends.length() == 0 ? "" : ",").append(e);
        }
        SegmentIndex x = index;
        return String.join(
                "|",
                ends,
                sha256,
                Long.toString(storedSize),
                keyPrefix,
                keyId == null ? "" : keyId,
                Long.toString(micros(archivedAt)),
                x == null ? "" : "1",
                x == null || x.firstEnd() == null ? "" : Long.toString(micros(x.firstEnd())),
                x == null || x.lastEnd() == null ? "" : Long.toString(micros(x.lastEnd())),
                x == null ? "0" : Long.toString(x.minXid()),
                x == null ? "0" : Long.toString(x.maxXid()),
                x == null ? "0" : Integer.toString(x.transactions()),
                x == null ? "" : x.restorePointsText(),
                x == null || x.problem() == null ? "" : x.problem());
    }

    /** Reads {@link #encode()} back for segment {@code name}. */
    public static PartialSegment decode(SegmentName name, String text) {
        String[] f = text.split("\\|", 14);
        if (f.length != 14) {
            throw new IllegalArgumentException("not an encoded partial segment: " + text);
        }
        List<Long> ends = new ArrayList<>();
        for (String e : f[0].split(",", -1)) {
            ends.add(Long.parseLong(e));
        }
        SegmentIndex index = f[6].isEmpty()
                ? null
                : new SegmentIndex(
                        f[7].isEmpty() ? null : instant(Long.parseLong(f[7])),
                        f[8].isEmpty() ? null : instant(Long.parseLong(f[8])),
                        Long.parseLong(f[9]),
                        Long.parseLong(f[10]),
                        Integer.parseInt(f[11]),
                        SegmentIndex.parseRestorePoints(f[12]),
                        f[13].isEmpty() ? null : f[13]);
        return new PartialSegment(
                name,
                ends,
                f[1],
                Long.parseLong(f[2]),
                f[3],
                f[4].isEmpty() ? null : f[4],
                instant(Long.parseLong(f[5])),
                index);
    }

    private static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    private static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000);
    }
}
