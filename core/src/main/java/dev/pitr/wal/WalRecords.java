package dev.pitr.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.zip.CRC32C;

/**
 * Reads the WAL records of one segment as PostgreSQL 13 to 18 write them (little-endian, 8 KiB pages, MAXALIGN 8):
 * page headers, record headers, records continued across pages and, given the next segment, across the segment's end.
 * The version comes from the first page's magic ({@link WalFormat}), and every page after it must be of the same one.
 * It keeps what the time index needs: transaction commit and abort times with their transaction ids (for a prepared
 * transaction, the id it was prepared under), and restore points. Every record is checked
 * the way PostgreSQL checks it (page address, continuation length, {@code xl_prev} link, CRC-32C), and reading stops
 * at the first record that fails: the end of valid WAL, or damage, which {@link Result#stoppedBecause()} names. Record
 * types other than those are skipped by their length, never interpreted.
 */
public final class WalRecords {

    static final int PAGE = 8192;
    private static final int XLP_FIRST_IS_CONTRECORD = 0x0001;
    private static final int XLP_LONG_HEADER = 0x0002;
    /**
     * PostgreSQL 15 and later: the record the page would continue was cut off by a crash, and recovery wrote an
     * OVERWRITE_CONTRECORD record here instead of its rest.
     */
    private static final int XLP_FIRST_IS_OVERWRITE_CONTRECORD = 0x0008;

    private static final int SHORT_HEADER = 24;
    private static final int LONG_HEADER = 40;
    private static final int RECORD_HEADER = 24;
    private static final int RM_XLOG = 0;
    private static final int RM_XACT = 1;
    private static final int XLOG_SWITCH = 0x40;
    private static final int XLOG_RESTORE_POINT = 0x70;
    private static final int XACT_OPMASK = 0x70;
    private static final int XACT_COMMIT = 0x00;
    private static final int XACT_ABORT = 0x20;
    private static final int XACT_COMMIT_PREPARED = 0x30;
    private static final int XACT_ABORT_PREPARED = 0x40;
    private static final int XACT_HAS_INFO = 0x80;
    private static final int XINFO_HAS_DBINFO = 0x01;
    private static final int XINFO_HAS_SUBXACTS = 0x02;
    private static final int XINFO_HAS_RELFILENODES = 0x04;
    private static final int XINFO_HAS_INVALS = 0x08;
    private static final int XINFO_HAS_TWOPHASE = 0x10;
    private static final int XINFO_HAS_DROPPED_STATS = 0x100;
    private static final int RELFILENODE = 12;
    private static final int INVALIDATION_MESSAGE = 16;
    private static final long POSTGRES_EPOCH_SECONDS = 946_684_800L;

    /**
     * Whether {@code segment}'s first page is WAL of a PostgreSQL version this reader does not read: a page magic of
     * the form every version's has ({@code 0xD0xx} or {@code 0xD1xx}) that is not one it knows. Such a segment is
     * refused, never archived as unreadable; bytes that are not WAL at all do not count.
     */
    public static OptionalInt otherVersionMagic(ByteBuffer segment) {
        if (segment.limit() < 2) {
            return OptionalInt.empty();
        }
        int magic = segment.duplicate().order(ByteOrder.LITTLE_ENDIAN).getShort(0) & 0xffff;
        boolean walMagic = (magic & 0xff00) == 0xD000 || (magic & 0xff00) == 0xD100;
        return walMagic && WalFormat.ofMagic(magic).isEmpty() ? OptionalInt.of(magic) : OptionalInt.empty();
    }

    /** The version whose WAL {@code segment}'s first page is, or empty when it is not WAL this reader reads. */
    public static Optional<WalFormat> format(ByteBuffer segment) {
        if (segment.limit() < 2) {
            return Optional.empty();
        }
        return WalFormat.ofMagic(
                segment.duplicate().order(ByteOrder.LITTLE_ENDIAN).getShort(0) & 0xffff);
    }

    /**
     * The system identifier a segment's first page names in its long header, or empty when that page is not a WAL page
     * of a version this reader reads, with a long header (a segment that cannot be read as WAL names no cluster).
     */
    public static OptionalLong systemIdentifier(ByteBuffer segment) {
        if (segment.limit() < LONG_HEADER) {
            return OptionalLong.empty();
        }
        ByteBuffer b = segment.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getShort(0) & 0xffff;
        int info = b.getShort(2) & 0xffff;
        if (WalFormat.ofMagic(magic).isEmpty() || (info & XLP_LONG_HEADER) == 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(b.getLong(24));
    }

    /**
     * A transaction's end: commit or abort, with its time and the record's LSN. {@code xid} is the transaction that
     * ended, as {@code recovery_target_xid} names it: for {@code COMMIT PREPARED}, the prepared transaction's.
     */
    public record TransactionEnd(Lsn lsn, long xid, boolean commit, Instant time) {}

    /** A named restore point ({@code pg_create_restore_point}). */
    public record RestorePoint(Lsn lsn, String name, Instant time) {}

    /**
     * What one segment holds. {@code stoppedBecause} is null when every record up to the segment's end was read; {@code
     * stoppedPastEnd} says the record that stopped the reading extends past this segment, into a next segment that is not
     * at hand, not yet written, or not the one that follows: this segment's own bytes are then intact. {@code
     * completeBytes} is how many bytes from the segment's start hold only complete, checked records (and the page
     * headers among them): for a segment still being written, how much of it replays without reaching torn or unwritten
     * WAL. {@code format} is the version the first page names; null when it is not WAL this reader reads. {@code
     * lastRecord} is where the last complete record that starts in this segment starts (null when none does): the
     * next segment's first record links back to it.
     */
    public record Result(
            TimelineId timeline,
            int records,
            List<TransactionEnd> transactionEnds,
            List<RestorePoint> restorePoints,
            boolean switched,
            String stoppedBecause,
            boolean stoppedPastEnd,
            long completeBytes,
            WalFormat format,
            Lsn lastRecord) {

        /** True when this segment's own bytes hold something that is not valid WAL. */
        public boolean damaged() {
            return stoppedBecause != null && !stoppedPastEnd;
        }

        public Instant firstCommit() {
            return transactionEnds.isEmpty() ? null : transactionEnds.get(0).time();
        }

        public Instant lastCommit() {
            return transactionEnds.isEmpty()
                    ? null
                    : transactionEnds.get(transactionEnds.size() - 1).time();
        }
    }

    private final ByteBuffer seg;
    /** The version the first page names; every page must name the same. */
    private WalFormat format;
    /** Set when reading failed at a position in the next segment. */
    private boolean pastEnd;
    /** Where a page said it overwrites the record being read (-1: none did). */
    private long overwrittenAt = -1;

    private final ByteBuffer next;
    private final long segStart;
    private final int segSize;
    /** The end of the last complete record read so far, as an offset into the segment. */
    private long complete;

    /** Where the last complete record read starts; at first, the record the first one must link back to (or -1). */
    private long prev;

    private WalRecords(ByteBuffer seg, ByteBuffer next, SegmentName name, Lsn linkFrom) {
        this.prev = linkFrom == null ? -1 : linkFrom.value();
        this.seg = seg.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.next = next == null ? null : next.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.segStart = name.startLsn().value();
        this.segSize = (int) name.segmentSize();
    }

    /**
     * Reads {@code segment} (the whole file named {@code name}). {@code nextSegment}, when given (complete or still
     * being written), supplies the rest of a record that starts in this segment and ends in the next.
     */
    public static Result read(SegmentName name, ByteBuffer segment, ByteBuffer nextSegment) {
        return read(name, segment, nextSegment, null);
    }

    /**
     * Reads {@code segment} as {@link #read(SegmentName, ByteBuffer, ByteBuffer)} does, and also checks that its first
     * record links back to {@code linkFrom}, the previous segment's {@link Result#lastRecord}: the WAL runs on across
     * the boundary, with no segment in between swapped for another (of an earlier run of the same timeline, say).
     */
    public static Result read(SegmentName name, ByteBuffer segment, ByteBuffer nextSegment, Lsn linkFrom) {
        return new WalRecords(segment, nextSegment, name, linkFrom).read();
    }

    private Result read() {
        List<TransactionEnd> ends = new ArrayList<>();
        List<RestorePoint> points = new ArrayList<>();
        int firstMagic = seg.limit() < 2 ? 0 : seg.getShort(0) & 0xffff;
        format = WalFormat.ofMagic(firstMagic).orElse(null);
        if (format == null) {
            return stop(
                    null,
                    0,
                    ends,
                    points,
                    "page at " + lsn(0) + " has magic " + Integer.toHexString(firstMagic)
                            + ", not the WAL of a PostgreSQL version pitr reads (" + WalFormat.supportedRange() + ")");
        }
        String page = checkPage(0, false, -1);
        if (page != null) {
            return stop(null, 0, ends, points, page);
        }
        long tliValue = Integer.toUnsignedLong(seg.getInt(4));
        if (tliValue == 0) {
            // found by fuzzing: a header naming timeline 0 is damage, not a reason to throw
            return stop(null, 0, ends, points, "page at " + lsn(0) + " names timeline 0");
        }
        TimelineId tli = TimelineId.of(tliValue);
        int info = seg.getShort(2) & 0xffff;
        long pos = (info & XLP_LONG_HEADER) != 0 ? LONG_HEADER : SHORT_HEADER;
        if ((info & XLP_FIRST_IS_CONTRECORD) != 0) {
            // the tail of a record that began in an earlier segment: skip it, across as many pages as it fills
            long rem = Integer.toUnsignedLong(seg.getInt(16));
            Cursor c = new Cursor(pos);
            String err = c.skip(rem);
            if (err != null && overwrittenAt >= 0 && overwrittenAt < segSize) {
                // a crash cut that record off within this segment: WAL goes on at the page that says so
                pos = overwrittenAt;
                overwrittenAt = -1;
            } else if (err != null) {
                return stop(tli, 0, ends, points, err);
            } else {
                pos = align(c.pos);
            }
        }
        complete = Math.min(pos, segSize);
        int records = 0;
        long linkFrom = prev;
        while (pos < segSize) {
            if (pos % PAGE == 0) {
                // a record that starts a page starts after its header, and that is its LSN
                String err = checkPage(pos, false, -1);
                if (err != null) {
                    return stop(tli, records, ends, points, err);
                }
                pos += SHORT_HEADER;
            }
            Cursor c = new Cursor(pos);
            // most records lie within one page of this segment: read them where they are, copying nothing
            long inPage = PAGE - pos % PAGE;
            long totLen;
            if (inPage >= 4 && pos + 4 <= seg.limit()) {
                totLen = Integer.toUnsignedLong(seg.getInt((int) pos));
            } else {
                byte[] lenBytes = new byte[4];
                String err = c.peek(lenBytes);
                if (err != null) {
                    return stop(tli, records, ends, points, err);
                }
                totLen = Integer.toUnsignedLong(
                        ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getInt());
            }
            if (totLen == 0) {
                // zeroes: nothing was written past here (the end of the WAL written so far)
                return stop(
                        tli, records, ends, points, "no record at " + lsn(pos) + ": the rest of the segment is empty");
            }
            if (totLen < RECORD_HEADER || totLen > (1L << 30)) {
                return stop(tli, records, ends, points, "invalid record length " + totLen + " at " + lsn(pos));
            }
            long atHand = (segSize - pos) + (next == null ? 0 : next.capacity());
            if (totLen > atHand) {
                pastEnd = totLen > segSize - pos;
                // never allocate more than the WAL at hand could hold: a longer record is damage, or spans further
                // segments
                return stop(
                        tli,
                        records,
                        ends,
                        points,
                        "record at " + lsn(pos) + " claims " + totLen + " bytes, more than the WAL at hand holds");
            }
            // the record (or, for one summed across pages, its header), and the CRC of what follows its header. Only
            // records the index does not read are summed where they lie; the others are copied first, so that what is
            // checked is what is read, even in a file still being written
            ByteBuffer r;
            CRC32C crc = new CRC32C();
            String err = null;
            boolean headerHere = inPage >= RECORD_HEADER && pos + RECORD_HEADER <= seg.limit();
            int rmid = headerHere ? seg.get((int) pos + 17) & 0xff : -1;
            int recInfo = headerHere ? seg.get((int) pos + 16) & 0xff : -1;
            boolean inPlace = headerHere && !indexed(rmid, recInfo);
            if (inPlace && totLen <= inPage && pos + totLen <= seg.limit()) {
                r = seg.slice((int) pos, (int) totLen).order(ByteOrder.LITTLE_ENDIAN);
                crc.update(r.slice(RECORD_HEADER, (int) totLen - RECORD_HEADER));
                c.pos = pos + totLen;
            } else if (inPlace) {
                // a record across pages (a full-page image, mostly): summed piece by piece
                r = seg.slice((int) pos, RECORD_HEADER).order(ByteOrder.LITTLE_ENDIAN);
                c.pos = pos + RECORD_HEADER;
                err = c.walk(
                        totLen - RECORD_HEADER,
                        totLen,
                        false,
                        RECORD_HEADER,
                        (src, at, n, done) -> crc.update(src.slice(at, n)));
            } else {
                byte[] copy = new byte[(int) totLen];
                err = c.read(copy);
                r = ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN);
                crc.update(copy, RECORD_HEADER, copy.length - RECORD_HEADER);
                rmid = copy[17] & 0xff;
                recInfo = copy[16] & 0xff;
            }
            if (err != null && overwrittenAt >= 0 && overwrittenAt < segSize) {
                // a crash cut this record off and recovery went on writing at that page: WAL goes on there, with a
                // record that links back to the last complete one, as PostgreSQL reads it
                pos = overwrittenAt;
                overwrittenAt = -1;
                continue;
            }
            if (err != null) {
                return stop(tli, records, ends, points, err);
            }
            long xlPrev = r.getLong(8);
            if (prev >= 0 && xlPrev != prev) {
                return stop(
                        tli,
                        records,
                        ends,
                        points,
                        "record at " + lsn(pos) + " does not link back to " + new Lsn(prev)
                                + (records == 0 && prev == linkFrom ? ", the previous segment's last record" : ""));
            }
            crc.update(r.slice(0, 20));
            if ((int) crc.getValue() != r.getInt(20)) {
                return stop(tli, records, ends, points, "record at " + lsn(pos) + " fails its CRC");
            }
            records++;
            // where the next record would start, as PostgreSQL counts the end of the WAL
            complete = Math.min(align(c.pos), segSize);
            long recLsn = segStart + pos;
            if (!inPlace && indexed(rmid, recInfo)) {
                byte[] rec = r.array();
                byte[] main = mainData(rec, format);
                if (main == null) {
                    return stop(tli, records, ends, points, "record at " + lsn(pos) + " has malformed block headers");
                }
                if (rmid == RM_XACT) {
                    int op = recInfo & XACT_OPMASK;
                    // commit, abort, commit prepared, abort prepared: the data begins with the transaction's end time
                    if ((op == XACT_COMMIT
                                    || op == XACT_ABORT
                                    || op == XACT_COMMIT_PREPARED
                                    || op == XACT_ABORT_PREPARED)
                            && main.length >= 8) {
                        long xid = endedXid(recInfo, main, format, Integer.toUnsignedLong(r.getInt(4)));
                        if (xid < 0) {
                            return stop(
                                    tli,
                                    records,
                                    ends,
                                    points,
                                    "record at " + lsn(pos) + " has a malformed transaction record");
                        }
                        ends.add(new TransactionEnd(
                                new Lsn(recLsn),
                                xid,
                                op == XACT_COMMIT || op == XACT_COMMIT_PREPARED,
                                timestamp(ByteBuffer.wrap(main)
                                        .order(ByteOrder.LITTLE_ENDIAN)
                                        .getLong(0))));
                    }
                } else if (main.length >= 8) {
                    int nul = 8;
                    while (nul < main.length && main[nul] != 0) {
                        nul++;
                    }
                    points.add(new RestorePoint(
                            new Lsn(recLsn),
                            new String(main, 8, nul - 8, StandardCharsets.UTF_8),
                            timestamp(ByteBuffer.wrap(main)
                                    .order(ByteOrder.LITTLE_ENDIAN)
                                    .getLong(0))));
                }
            }
            if (rmid == RM_XLOG && (recInfo & 0xf0) == XLOG_SWITCH) {
                prev = recLsn;
                return new Result(tli, records, ends, points, true, null, false, complete, format, lastRecord(records));
            }
            prev = recLsn;
            pos = align(c.pos);
            if (c.pos >= segSize) {
                // the record ended in the next segment: this segment is done
                return stop(tli, records, ends, points, null);
            }
        }
        return stop(tli, records, ends, points, null);
    }

    /** Whether the index reads the record's data: a transaction's end or a restore point. */
    private static boolean indexed(int rmid, int info) {
        return rmid == RM_XACT || (rmid == RM_XLOG && (info & 0xf0) == XLOG_RESTORE_POINT);
    }

    private Result stop(TimelineId tli, int records, List<TransactionEnd> ends, List<RestorePoint> points, String why) {
        return new Result(
                tli, records, ends, points, false, why, why != null && pastEnd, complete, format, lastRecord(records));
    }

    private Lsn lastRecord(int records) {
        return records == 0 || prev < 0 ? null : new Lsn(prev);
    }

    /**
     * The transaction a commit or abort record ends: the prepared transaction's id its two-phase part names (as
     * {@code ParseCommitRecord} and {@code ParseAbortRecord} walk to it), else {@code headerXid}, the record header's.
     * -1 when the parts the record says it holds do not fit in it.
     */
    static long endedXid(int recInfo, byte[] main, WalFormat format, long headerXid) {
        if ((recInfo & XACT_HAS_INFO) == 0) {
            return headerXid;
        }
        ByteBuffer b = ByteBuffer.wrap(main).order(ByteOrder.LITTLE_ENDIAN);
        int op = recInfo & XACT_OPMASK;
        boolean commit = op == XACT_COMMIT || op == XACT_COMMIT_PREPARED;
        try {
            int p = 8; // xact_time
            int xinfo = b.getInt(p);
            p += 4;
            if ((xinfo & XINFO_HAS_DBINFO) != 0) {
                p += 8;
            }
            if ((xinfo & XINFO_HAS_SUBXACTS) != 0) {
                p = skipArray(b, p, 4);
            }
            if ((xinfo & XINFO_HAS_RELFILENODES) != 0) {
                p = skipArray(b, p, RELFILENODE);
            }
            if ((xinfo & XINFO_HAS_DROPPED_STATS) != 0 && format.droppedStatsItemSize() > 0) {
                p = skipArray(b, p, format.droppedStatsItemSize());
            }
            if (commit && (xinfo & XINFO_HAS_INVALS) != 0) {
                p = skipArray(b, p, INVALIDATION_MESSAGE);
            }
            if ((xinfo & XINFO_HAS_TWOPHASE) == 0) {
                return headerXid;
            }
            return Integer.toUnsignedLong(b.getInt(p));
        } catch (IndexOutOfBoundsException e) {
            return -1;
        }
    }

    /** Steps over a count and that many items of {@code itemSize} bytes. */
    private static int skipArray(ByteBuffer b, int p, int itemSize) {
        long n = Integer.toUnsignedLong(b.getInt(p));
        long end = p + 4 + n * itemSize;
        if (end > b.limit()) {
            throw new IndexOutOfBoundsException("count " + n + " at " + p);
        }
        return (int) end;
    }

    /** The record's main data: its last bytes, after the block headers say how long it is. Null if they are malformed. */
    static byte[] mainData(byte[] rec, WalFormat format) {
        ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
        int p = RECORD_HEADER;
        long dataTotal = 0;
        long mainLen = 0;
        try {
            while (rec.length - p > dataTotal) {
                int id = b.get(p++) & 0xff;
                if (id == 255) {
                    mainLen = b.get(p++) & 0xff;
                    break;
                } else if (id == 254) {
                    mainLen = Integer.toUnsignedLong(b.getInt(p));
                    p += 4;
                    break;
                } else if (id == 253) {
                    p += 2; // replication origin
                } else if (id == 252) {
                    p += 4; // top-level xid
                } else if (id <= 32) {
                    int forkFlags = b.get(p++) & 0xff;
                    dataTotal += b.getShort(p) & 0xffff;
                    p += 2;
                    if ((forkFlags & 0x10) != 0) {
                        dataTotal += b.getShort(p) & 0xffff;
                        int bimgInfo = b.get(p + 4) & 0xff;
                        p += 5;
                        if ((bimgInfo & format.compressedImageBits()) != 0 && (bimgInfo & 0x01) != 0) {
                            p += 2; // compressed image with a hole: the hole's length
                        }
                    }
                    if ((forkFlags & 0x80) == 0) {
                        p += 12; // RelFileNode
                    }
                    p += 4; // block number
                } else {
                    return null;
                }
            }
        } catch (IndexOutOfBoundsException e) {
            return null;
        }
        if (mainLen > rec.length - p) {
            return null;
        }
        byte[] main = new byte[(int) mainLen];
        System.arraycopy(rec, rec.length - (int) mainLen, main, 0, (int) mainLen);
        return main;
    }

    /** Takes {@code n} bytes of {@code src} from {@code at}: the record's bytes from its {@code done}th on. */
    private interface Piece {
        void take(ByteBuffer src, int at, int n, long done);
    }

    /** Reads the WAL byte stream from a segment offset on, stepping over page headers (and into the next segment). */
    private final class Cursor {
        long pos;

        Cursor(long pos) {
            this.pos = pos;
        }

        String peek(byte[] out) {
            long saved = pos;
            String err = read(out, -1);
            pos = saved;
            return err;
        }

        String read(byte[] out) {
            return read(out, out.length);
        }

        /** Reads {@code out.length} bytes; {@code recordLength} >= 0 checks each continuation page's remaining length. */
        private String read(byte[] out, long recordLength) {
            return read(out, recordLength, false);
        }

        /**
         * As {@link #read(byte[], long)}; {@code continuing} says the bytes continue a record from their first byte on,
         * so a page met before the first byte must continue it too.
         */
        private String read(byte[] out, long recordLength, boolean continuing) {
            return walk(out.length, recordLength, continuing, 0, (src, at, n, done) -> src.get(at, out, (int) done, n));
        }

        /**
         * Steps over {@code length} bytes as {@link #read(byte[], long, boolean)} reads them, handing each piece within
         * a page to {@code piece}; {@code before} bytes of the record were read already (they count for the
         * continuation checks).
         */
        private String walk(long length, long recordLength, boolean continuing, long before, Piece piece) {
            long done = before;
            long end = before + length;
            while (done < end) {
                if (pos % PAGE == 0) {
                    // a page met inside a record must say it continues it; a record may also simply start on a new page
                    String err = checkPage(pos, done > 0 || continuing, recordLength < 0 ? -1 : recordLength - done);
                    if (err != null) {
                        return err;
                    }
                    pos += pos % segSize == 0 ? LONG_HEADER : SHORT_HEADER;
                }
                int n = (int) Math.min(end - done, PAGE - pos % PAGE);
                ByteBuffer src = source(pos);
                if (src == null || src.capacity() < (int) (pos % segSize) + n) {
                    pastEnd = true;
                    return "record at " + lsn(pos - done) + " continues into the next segment, which is not at hand";
                }
                piece.take(src, (int) (pos % segSize), n, done);
                done += n;
                pos += n;
            }
            return null;
        }

        /**
         * Steps over the {@code n} bytes left of a record begun before (a header field: never trusted to size an
         * allocation), checking that each page met says it continues it with what is left.
         */
        String skip(long n) {
            byte[] sink = new byte[PAGE];
            for (long left = n; left > 0; left -= sink.length) {
                if (left < sink.length) {
                    sink = new byte[(int) left];
                }
                String err = read(sink, left, pos % PAGE == 0);
                if (err != null) {
                    return err;
                }
            }
            return null;
        }
    }

    private ByteBuffer source(long pos) {
        if (pos < segSize) {
            return seg;
        }
        return pos < 2L * segSize && next != null && next.capacity() >= (int) (pos - segSize) + 1 ? next : null;
    }

    /** Checks the page header at {@code offset}; a continuation page must say how much of the record remains. */
    private String checkPage(long offset, boolean continuation, long remaining) {
        String err = checkPageAt(offset, continuation, remaining);
        pastEnd = err != null && offset >= segSize;
        return err;
    }

    private String checkPageAt(long offset, boolean continuation, long remaining) {
        ByteBuffer b = source(offset);
        if (b == null) {
            return "the WAL continues into the next segment, which is not at hand";
        }
        int at = (int) (offset % segSize);
        if (b.capacity() < at + SHORT_HEADER) {
            return "the next segment ends before " + lsn(offset);
        }
        int magic = b.getShort(at) & 0xffff;
        long pageAddr = b.getLong(at + 8);
        if (magic != format.magic()) {
            return "page at " + lsn(offset) + " has magic " + Integer.toHexString(magic) + ", not PostgreSQL "
                    + format.major() + "'s " + Integer.toHexString(format.magic());
        }
        if (pageAddr != segStart + offset) {
            return "page at " + lsn(offset) + " holds older WAL (page address " + new Lsn(pageAddr) + ")";
        }
        if (continuation && remaining >= 0) {
            int info = b.getShort(at + 2) & 0xffff;
            long rem = Integer.toUnsignedLong(b.getInt(at + 16));
            if ((info & XLP_FIRST_IS_OVERWRITE_CONTRECORD) != 0 && (info & XLP_FIRST_IS_CONTRECORD) == 0) {
                overwrittenAt = offset;
                return "page at " + lsn(offset) + " overwrites the rest of the record before it (a crash cut it off)";
            }
            if ((info & XLP_FIRST_IS_CONTRECORD) == 0 || rem != remaining) {
                return "page at " + lsn(offset) + " does not continue the record before it";
            }
        }
        return null;
    }

    private Lsn lsn(long offset) {
        return new Lsn(segStart + offset);
    }

    private static long align(long p) {
        return (p + 7) & ~7L;
    }

    private static Instant timestamp(long micros) {
        return Instant.ofEpochSecond(
                POSTGRES_EPOCH_SECONDS + Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000);
    }
}
