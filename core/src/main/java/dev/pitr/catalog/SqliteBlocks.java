package dev.pitr.catalog;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The segment summaries of a {@link SqliteCatalog}, one row per {@link SegmentBlock} in table {@code segment_blocks}.
 * Every method runs inside the catalog's transaction for the write it belongs to, so a summary changes with its
 * records or not at all.
 */
final class SqliteBlocks {

    private final Connection conn;
    private final SegmentBlocks.Records records;

    SqliteBlocks(Connection conn, SegmentBlocks.Records records) {
        this.conn = conn;
        this.records = records;
    }

    /**
     * The table, and triggers that count the live segments in {@code meta}: kept by the database itself, so that a
     * writer that does not keep the summaries (an earlier version of pitr on another host) changes the count but not the
     * summaries, and the next read sums them up again.
     */
    static void createTable(Connection conn) throws SQLException {
        try (var s = conn.createStatement()) {
            s.executeUpdate(
                    "CREATE TABLE IF NOT EXISTS segment_blocks (timeline INTEGER NOT NULL, block INTEGER NOT NULL,"
                            + " body TEXT NOT NULL, PRIMARY KEY (timeline, block))");
            s.executeUpdate("CREATE TRIGGER IF NOT EXISTS live_on_insert AFTER INSERT ON segments"
                    + " WHEN new.expired_at IS NULL BEGIN " + count("+ 1") + " END");
            s.executeUpdate("CREATE TRIGGER IF NOT EXISTS live_on_expire AFTER UPDATE OF expired_at ON segments"
                    + " WHEN old.expired_at IS NULL AND new.expired_at IS NOT NULL BEGIN " + count("- 1") + " END");
            s.executeUpdate("CREATE TRIGGER IF NOT EXISTS live_on_delete AFTER DELETE ON segments"
                    + " WHEN old.expired_at IS NULL BEGIN " + count("- 1") + " END");
        }
    }

    private static String count(String change) {
        return "UPDATE meta SET v = CAST(CAST(v AS INTEGER) " + change + " AS TEXT) WHERE k = 'live_segments';";
    }

    /** Adds a segment just inserted. */
    void added(SegmentRecord inserted) throws SQLException {
        SegmentRecord r = inserted.asStored();
        TimelineId t = r.name().timeline();
        long number = SegmentBlock.numberOf(r.startLsn());
        Optional<SegmentBlock> stored = read(t, number);
        boolean fresh = stored.isEmpty()
                && records.live(t, first(number, r), last(number, r)).size() == 1
                && records.expired(t, first(number, r), last(number, r)).isEmpty();
        if (stored.isPresent()
                && stored.get().problem() == null
                && !stored.get().holds(r.name().segno())) {
            write(stored.get().with(r));
        } else if (fresh) {
            write(SegmentBlock.of(t, number, r.name().segmentSize(), List.of(r), cutsIn(t, number), List.of()));
        } else {
            rebuild(t, number);
        }
    }

    /** Live segments just expired at {@code at}: they leave their blocks' extents and the live count. */
    void expired(List<SegmentRecord> gone, Instant at) throws SQLException {
        for (Map.Entry<Long, List<SegmentRecord>> e : byBlock(gone).entrySet()) {
            SegmentRecord any = e.getValue().get(0);
            TimelineId t = any.name().timeline();
            long number = e.getKey() & BLOCK_MASK;
            Optional<SegmentBlock> b = read(t, number);
            try {
                if (b.isPresent() && b.get().problem() == null) {
                    write(b.get().expire(e.getValue(), at, (from, to) -> records.live(t, from, to)));
                    continue;
                }
            } catch (IllegalStateException | IllegalArgumentException stale) {
                // the summary and the records disagree: sum the block up again below
            }
            rebuild(t, number);
        }
    }

    /** Expired segments whose objects were just handed to storage for removal: they no longer await it. */
    void removed(TimelineId t, List<SegmentBlock.Expiry> done) throws SQLException {
        long size = records.segmentSize();
        Map<Long, List<SegmentBlock.Expiry>> byBlock = new TreeMap<>();
        for (SegmentBlock.Expiry x : done) {
            byBlock.computeIfAbsent((x.segno() * size) >>> SegmentBlock.BLOCK_SHIFT, k -> new ArrayList<>())
                    .add(x);
        }
        for (Map.Entry<Long, List<SegmentBlock.Expiry>> e : byBlock.entrySet()) {
            Optional<SegmentBlock> b = read(t, e.getKey());
            try {
                if (b.isPresent() && b.get().problem() == null) {
                    write(b.get().removed(e.getValue()));
                    continue;
                }
            } catch (IllegalStateException stale) {
                // sum the block up again below
            }
            rebuild(t, e.getKey());
        }
    }

    /** Low bits of {@link #byBlock}'s keys: the block number; the timeline is above them. */
    private static final long BLOCK_MASK = (1L << 40) - 1;

    private static Map<Long, List<SegmentRecord>> byBlock(List<SegmentRecord> records) {
        Map<Long, List<SegmentRecord>> out = new TreeMap<>();
        for (SegmentRecord r : records) {
            long key = (r.name().timeline().value() << 40) | SegmentBlock.numberOf(r.startLsn());
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        return out;
    }

    /** A removed segment whose record was just dropped: it leaves its block's expired stretches. */
    void forgotten(SegmentName n) throws SQLException {
        long number = SegmentBlock.numberOf(n.startLsn());
        Optional<SegmentBlock> b = read(n.timeline(), number);
        if (b.isPresent() && b.get().problem() == null) {
            write(b.get().withoutExpired(n.segno()));
        } else {
            rebuild(n.timeline(), number);
        }
    }

    /** A history or snapshot just recorded makes {@code cut}. */
    void cut(SegmentBlocks.Cut cut) throws SQLException {
        TimelineId t = cut.timeline();
        long number = SegmentBlock.numberOf(cut.at());
        Optional<SegmentBlock> stored = read(t, number);
        if (stored.isPresent() && stored.get().cuts().contains(cut.at())) {
            return;
        }
        if (stored.isPresent()
                && stored.get().problem() == null
                && !stored.get().crossedBy(cut.at())) {
            write(stored.get().withCut(cut.at()));
        } else {
            rebuild(t, number);
        }
    }

    /** Every block as stored, by timeline then block, including any that does not add up. */
    List<SegmentBlock> stored() throws SQLException {
        List<SegmentBlock> out = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement(
                        "SELECT timeline, block, body FROM segment_blocks ORDER BY timeline, block");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(decodeAny(TimelineId.of(rs.getLong(1)), rs.getLong(2), rs.getString(3)));
            }
        }
        return out;
    }

    /**
     * Every block, by timeline then block; a summary that does not add up is summed up again and kept. Empty when the
     * blocks do not hold as many segments as the catalog counts (a summary went missing): sum them all up again.
     */
    Optional<List<SegmentBlock>> all() throws SQLException {
        List<SegmentBlock> out = new ArrayList<>();
        long held = 0;
        for (SegmentBlock b : stored()) {
            SegmentBlock x = b.problem() == null ? b : rebuild(b.timeline(), b.number());
            held += x.count();
            out.add(x);
        }
        return held == counted() ? Optional.of(out) : Optional.empty();
    }

    /** The live segments the catalog counts, kept by triggers with every segment inserted, expired and deleted. */
    long counted() throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT v FROM meta WHERE k = 'live_segments'");
                ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Long.parseLong(rs.getString(1)) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Sums block {@code number} of {@code t} up again from the records and keeps it (or drops it, when empty). */
    SegmentBlock rebuild(TimelineId t, long number) throws SQLException {
        long size = records.segmentSize();
        SegmentBlock b;
        if (size == 0) {
            b = SegmentBlock.of(t, number, 0, List.of(), cutsIn(t, number), List.of());
        } else {
            long from = SegmentBlock.firstSegno(number, size);
            long to = SegmentBlock.lastSegno(number, size);
            b = SegmentBlock.of(
                    t, number, size, records.live(t, from, to), cutsIn(t, number), records.expired(t, from, to));
        }
        if (b.isEmpty()) {
            try (PreparedStatement ps =
                    conn.prepareStatement("DELETE FROM segment_blocks WHERE timeline = ? AND block = ?")) {
                ps.setLong(1, t.value());
                ps.setLong(2, number);
                ps.executeUpdate();
            }
        } else {
            write(b);
        }
        return b;
    }

    /** Drops every summary and sums each block up again from the records. */
    void rebuildAll(List<long[]> blocksWithRecords) throws SQLException {
        try (var s = conn.createStatement()) {
            s.executeUpdate("DELETE FROM segment_blocks");
            s.executeUpdate("INSERT OR REPLACE INTO meta SELECT 'live_segments', CAST(count(*) AS TEXT) FROM segments"
                    + " WHERE expired_at IS NULL");
        }
        List<String> done = new ArrayList<>();
        List<long[]> all = new ArrayList<>(blocksWithRecords);
        for (SegmentBlocks.Cut c : records.cuts()) {
            all.add(new long[] {c.timeline().value(), SegmentBlock.numberOf(c.at())});
        }
        for (long[] k : all) {
            if (!done.contains(k[0] + "/" + k[1])) {
                done.add(k[0] + "/" + k[1]);
                rebuild(TimelineId.of(k[0]), k[1]);
            }
        }
    }

    private List<Lsn> cutsIn(TimelineId t, long number) {
        return records.cuts().stream()
                .filter(c -> c.timeline().equals(t) && SegmentBlock.numberOf(c.at()) == number)
                .map(SegmentBlocks.Cut::at)
                .toList();
    }

    private static long first(long number, SegmentRecord r) {
        return SegmentBlock.firstSegno(number, r.name().segmentSize());
    }

    private static long last(long number, SegmentRecord r) {
        return SegmentBlock.lastSegno(number, r.name().segmentSize());
    }

    private Optional<SegmentBlock> read(TimelineId t, long number) throws SQLException {
        try (PreparedStatement ps =
                conn.prepareStatement("SELECT body FROM segment_blocks WHERE timeline = ? AND block = ?")) {
            ps.setLong(1, t.value());
            ps.setLong(2, number);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(decodeAny(t, number, rs.getString(1))) : Optional.empty();
            }
        }
    }

    /** The summary as stored, even one that does not add up (the caller checks {@link SegmentBlock#problem()}). */
    private static SegmentBlock decodeAny(TimelineId t, long number, String body) {
        try {
            return SegmentBlock.decode(t, number, body);
        } catch (IllegalArgumentException e) {
            // unreadable text: a summary with a problem, so that it is summed up again
            return new SegmentBlock(
                    t,
                    number,
                    0,
                    List.of(),
                    List.of(),
                    List.of(),
                    new java.util.TreeMap<>(),
                    List.of(),
                    -1,
                    0,
                    0,
                    null);
        }
    }

    /** Keeps {@code b}, or drops its row when it holds nothing. */
    private void write(SegmentBlock b) throws SQLException {
        if (b.isEmpty()) {
            try (PreparedStatement ps =
                    conn.prepareStatement("DELETE FROM segment_blocks WHERE timeline = ? AND block = ?")) {
                ps.setLong(1, b.timeline().value());
                ps.setLong(2, b.number());
                ps.executeUpdate();
            }
            return;
        }
        try (PreparedStatement ps = conn.prepareStatement("INSERT OR REPLACE INTO segment_blocks VALUES (?,?,?)")) {
            ps.setLong(1, b.timeline().value());
            ps.setLong(2, b.number());
            ps.setString(3, b.encode());
            ps.executeUpdate();
        }
    }
}
