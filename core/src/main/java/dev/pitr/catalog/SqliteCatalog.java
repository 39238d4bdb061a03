package dev.pitr.catalog;

import dev.pitr.error.ErrorCode;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.sqlite.SQLiteConfig;

/**
 * The embedded catalog: one SQLite file. Several processes share it (capture, snapshot, the restore_command), so
 * every statement runs in its own transaction with a busy timeout, and the rollback journal is kept so that a
 * read-only opener (the restore_command running as another OS user) needs no write access.
 */
public final class SqliteCatalog implements Catalog {

    private static final int SCHEMA_VERSION = 1;

    private final Path file;
    private final Connection conn;
    private final boolean readOnly;
    private final SqliteBlocks blocks;
    private int depth;
    private long segmentSize;

    private SqliteCatalog(Path file, Connection conn, boolean readOnly) {
        this.file = file;
        this.conn = conn;
        this.readOnly = readOnly;
        this.blocks = new SqliteBlocks(conn, SegmentBlocks.recordsOf(this, this::knownSegmentSize));
    }

    /** Opens (creating if needed) the catalog at {@code file}. */
    public static SqliteCatalog open(Path file) {
        return open(file, false);
    }

    /** Opens an existing catalog for reading only. */
    public static SqliteCatalog openReadOnly(Path file) {
        return open(file, true);
    }

    private static SqliteCatalog open(Path file, boolean readOnly) {
        Path abs = file.toAbsolutePath().normalize();
        try {
            if (readOnly && !Files.isRegularFile(abs)) {
                throw new CatalogException(
                        ErrorCode.REPOSITORY_NOT_FOUND,
                        "catalog " + abs + " does not exist",
                        "check catalog.path; 'pitr init --create' makes a new one, 'pitr catalog rebuild' one from storage",
                        null);
            }
            if (!readOnly && abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            if (!readOnly) {
                // SQLite gives its -wal and -shm files the database file's mode
                dev.pitr.storage.OwnerOnly.file(abs);
            }
            SQLiteConfig cfg = new SQLiteConfig();
            cfg.setBusyTimeout(30_000);
            cfg.setReadOnly(readOnly);
            cfg.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + abs, cfg.toProperties());
            SqliteCatalog cat = new SqliteCatalog(abs, c, readOnly);
            if (!readOnly) {
                cat.migrate();
            }
            return cat;
        } catch (SQLException | java.io.IOException e) {
            throw new CatalogException("cannot open catalog " + abs + ": " + e.getMessage(), e);
        }
    }

    private void migrate() throws SQLException {
        try (Statement s = conn.createStatement()) {
            s.executeUpdate("CREATE TABLE IF NOT EXISTS segments ("
                    + " file_name TEXT PRIMARY KEY, timeline INTEGER NOT NULL, segno INTEGER NOT NULL,"
                    + " segment_size INTEGER NOT NULL, start_lsn INTEGER NOT NULL, end_lsn INTEGER NOT NULL,"
                    + " plain_size INTEGER NOT NULL, stored_size INTEGER NOT NULL, sha256 TEXT NOT NULL,"
                    + " storage_key TEXT NOT NULL, key_id TEXT, archived_at INTEGER NOT NULL,"
                    + " first_commit INTEGER, last_commit INTEGER)");
            addColumns(
                    s,
                    "segments",
                    "indexed INTEGER",
                    "min_xid INTEGER",
                    "max_xid INTEGER",
                    "transactions INTEGER",
                    "restore_points TEXT",
                    "index_problem TEXT",
                    "expired_at INTEGER",
                    "removed_at INTEGER");
            s.executeUpdate("CREATE UNIQUE INDEX IF NOT EXISTS segments_tli_segno ON segments (timeline, segno)");
            s.executeUpdate("CREATE TABLE IF NOT EXISTS histories ("
                    + " timeline INTEGER PRIMARY KEY, content TEXT NOT NULL, sha256 TEXT NOT NULL,"
                    + " storage_key TEXT NOT NULL, stored_size INTEGER NOT NULL, archived_at INTEGER NOT NULL)");
            s.executeUpdate("CREATE TABLE IF NOT EXISTS snapshots ("
                    + " id TEXT PRIMARY KEY, label TEXT, status TEXT NOT NULL, timeline INTEGER NOT NULL,"
                    + " start_lsn INTEGER NOT NULL, stop_lsn INTEGER, start_time INTEGER NOT NULL, stop_time INTEGER,"
                    + " first_segment TEXT, last_segment TEXT, plain_size INTEGER NOT NULL, stored_size INTEGER NOT NULL,"
                    + " sha256 TEXT, storage_key TEXT NOT NULL, key_id TEXT, backup_manifest TEXT, retention TEXT,"
                    + " lineage TEXT)");
            addColumns(s, "snapshots", "lineage TEXT");
            s.executeUpdate(
                    "CREATE TABLE IF NOT EXISTS leases ("
                            + " name TEXT PRIMARY KEY, owner TEXT NOT NULL, token INTEGER NOT NULL, expires_at INTEGER NOT NULL)");
            s.executeUpdate(
                    "CREATE TABLE IF NOT EXISTS restores (id TEXT PRIMARY KEY, recorded_at INTEGER NOT NULL, outcome TEXT NOT NULL,"
                            + " target TEXT, snapshot_id TEXT, timeline INTEGER, stopped_at TEXT, error TEXT, cause TEXT)");
            addColumns(
                    s,
                    "restores",
                    "lay_down_ms INTEGER",
                    "lay_down_bytes INTEGER",
                    "replay_ms INTEGER",
                    "replay_bytes INTEGER",
                    "total_ms INTEGER");
            s.executeUpdate("CREATE INDEX IF NOT EXISTS restores_recorded_at ON restores (recorded_at)");
            s.executeUpdate("CREATE TABLE IF NOT EXISTS drills (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL,"
                    + " finished_at INTEGER NOT NULL, passed INTEGER NOT NULL, target TEXT, snapshot_id TEXT,"
                    + " lay_down_ms INTEGER, lay_down_bytes INTEGER, replay_ms INTEGER, replay_bytes INTEGER,"
                    + " total_ms INTEGER, checks TEXT, error TEXT, cause TEXT)");
            s.executeUpdate("CREATE INDEX IF NOT EXISTS drills_finished_at ON drills (finished_at)");
            s.executeUpdate(
                    "CREATE TABLE IF NOT EXISTS partials (file_name TEXT PRIMARY KEY, timeline INTEGER NOT NULL,"
                            + " segno INTEGER NOT NULL, segment_size INTEGER NOT NULL, bytes INTEGER NOT NULL, record TEXT NOT NULL)");
            s.executeUpdate("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
            s.executeUpdate(
                    "CREATE TABLE IF NOT EXISTS runs (job TEXT NOT NULL, slot INTEGER NOT NULL, owner TEXT NOT NULL,"
                            + " PRIMARY KEY (job, slot))");
            s.executeUpdate("INSERT OR IGNORE INTO meta VALUES ('schema_version', '" + SCHEMA_VERSION + "')");
        }
        SqliteBlocks.createTable(conn);
        if (!summarized()) {
            // a catalog written before summaries were kept: sum every block up once
            rebuildSegmentBlocks();
        }
    }

    /** True once the segment summaries are kept (set by {@link #rebuildSegmentBlocks}). */
    private boolean summarized() {
        try (PreparedStatement ps = conn.prepareStatement("SELECT v FROM meta WHERE k = 'segment_blocks'");
                ResultSet rs = ps.executeQuery()) {
            return rs.next();
        } catch (SQLException e) {
            // a catalog too old to have the table, opened read-only
            return false;
        }
    }

    private interface SqlWork<T> {
        T run() throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction (or in the caller's, when called inside one). It begins {@code IMMEDIATE},
     * taking the write lock at once, so that summaries are read, changed and written back by one writer at a time; the
     * statements are issued here, not by the driver, which would begin another transaction right after the commit.
     */
    private <T> T inTransaction(String what, SqlWork<T> work) {
        boolean outer = depth == 0;
        if (outer) {
            try (Statement s = conn.createStatement()) {
                s.execute("BEGIN IMMEDIATE");
            } catch (SQLException e) {
                throw failure(what, e);
            }
        }
        depth++;
        try {
            T out = work.run();
            if (outer) {
                try (Statement s = conn.createStatement()) {
                    s.execute("COMMIT");
                }
            }
            return out;
        } catch (RuntimeException | SQLException e) {
            if (outer) {
                try (Statement s = conn.createStatement()) {
                    s.execute("ROLLBACK");
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
            }
            if (e instanceof SQLException sql) {
                throw failure(what, sql);
            }
            throw (RuntimeException) e;
        } finally {
            depth--;
        }
    }

    private long knownSegmentSize() {
        if (segmentSize == 0) {
            try (PreparedStatement ps = conn.prepareStatement("SELECT segment_size FROM segments LIMIT 1");
                    ResultSet rs = ps.executeQuery()) {
                segmentSize = rs.next() ? rs.getLong(1) : 0;
            } catch (SQLException e) {
                throw failure("read the segment size", e);
            }
        }
        return segmentSize;
    }

    @Override
    public synchronized List<SegmentBlock> segmentBlocks() {
        if (!summarized()) {
            return Catalog.super.segmentBlocks();
        }
        if (readOnly) {
            // nothing can be repaired here: summaries that do not add up give way to summing all up in memory
            try {
                List<SegmentBlock> stored = blocks.stored();
                boolean sound = stored.stream().allMatch(b -> b.problem() == null)
                        && stored.stream().mapToLong(SegmentBlock::count).sum() == blocks.counted();
                return sound ? stored : Catalog.super.segmentBlocks();
            } catch (SQLException e) {
                throw failure("read the segment summaries", e);
            }
        }
        try {
            // most reads find them consistent and take no lock
            List<SegmentBlock> stored = blocks.stored();
            if (stored.stream().allMatch(b -> b.problem() == null)
                    && stored.stream().mapToLong(SegmentBlock::count).sum() == blocks.counted()) {
                return stored;
            }
        } catch (SQLException e) {
            throw failure("read the segment summaries", e);
        }
        return inTransaction("repair the segment summaries", () -> {
            Optional<List<SegmentBlock>> all = blocks.all();
            if (all.isPresent()) {
                return all.get();
            }
            rebuildSegmentBlocks();
            return blocks.all().orElseThrow(() -> new IllegalStateException("the segment summaries do not add up"));
        });
    }

    @Override
    public synchronized SegmentBlock repairSegmentBlock(TimelineId timeline, long number) {
        if (readOnly) {
            return Catalog.super.segmentBlocks().stream()
                    .filter(b -> b.timeline().equals(timeline) && b.number() == number)
                    .findFirst()
                    .orElse(SegmentBlock.empty(timeline, number));
        }
        return inTransaction(
                "sum up " + timeline + " block " + number + " again", () -> blocks.rebuild(timeline, number));
    }

    @Override
    public synchronized void rebuildSegmentBlocks() {
        inTransaction("sum up the segments", () -> {
            List<long[]> keys = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement(
                            "SELECT DISTINCT timeline, start_lsn >> " + SegmentBlock.BLOCK_SHIFT + " FROM segments");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    keys.add(new long[] {rs.getLong(1), rs.getLong(2)});
                }
            }
            blocks.rebuildAll(keys);
            try (Statement st = conn.createStatement()) {
                st.executeUpdate("INSERT OR REPLACE INTO meta VALUES ('segment_blocks', '1')");
            }
            return null;
        });
    }

    @Override
    public Optional<Path> fileForReader(Path copyDir) {
        return Optional.of(copyDir == null ? file : copyTo(copyDir.resolve("catalog.db")));
    }

    /**
     * Writes a consistent copy of the whole catalog to {@code copy} (which must not exist), mode 0600: for a process
     * running as another OS user, such as restore_command, that may not read this one. SQLite creates the file with the
     * process's umask before it is narrowed, so {@code copy} belongs in a directory only its owner can enter.
     */
    public synchronized Path copyTo(Path copy) {
        try {
            try (java.sql.PreparedStatement ps = conn.prepareStatement("VACUUM INTO ?")) {
                ps.setString(1, copy.toAbsolutePath().toString());
                ps.execute();
            }
            java.nio.file.attribute.PosixFileAttributeView v =
                    Files.getFileAttributeView(copy, java.nio.file.attribute.PosixFileAttributeView.class);
            v.setPermissions(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            return copy;
        } catch (SQLException | java.io.IOException e) {
            throw new CatalogException("cannot copy catalog " + file + " to " + copy + ": " + e.getMessage(), e);
        }
    }

    /** One transaction for the lot: a failure rolls back every segment of the call. */
    @Override
    public synchronized List<Recorded> recordSegments(List<SegmentRecord> segments) {
        return inTransaction("record " + segments.size() + " segments", () -> {
            List<Recorded> out = new ArrayList<>(segments.size());
            for (SegmentRecord s : segments) {
                out.add(recordSegment(s));
            }
            return out;
        });
    }

    @Override
    public synchronized Recorded recordSegment(SegmentRecord r) {
        return inTransaction("record segment " + r.name(), () -> {
            Recorded out = insertSegment(r);
            if (out == Recorded.INSERTED) {
                blocks.added(r);
            }
            return out;
        });
    }

    private Recorded insertSegment(SegmentRecord r) {
        try {
            Optional<String> existing = recordedSha(r.name().fileName());
            if (existing.isPresent()) {
                return sameOrConflict(r.name().fileName(), existing.get(), r.checksum());
            }
            try (PreparedStatement ps = conn.prepareStatement(
                    "INSERT INTO segments (file_name, timeline, segno, segment_size, start_lsn, end_lsn, plain_size, stored_size,"
                            + " sha256, storage_key, key_id, archived_at, first_commit, last_commit, indexed, min_xid, max_xid,"
                            + " transactions, restore_points, index_problem) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                            + " ON CONFLICT DO NOTHING")) {
                SegmentName n = r.name();
                ps.setString(1, n.fileName());
                ps.setLong(2, n.timeline().value());
                ps.setLong(3, n.segno());
                ps.setLong(4, n.segmentSize());
                ps.setLong(5, n.startLsn().value());
                ps.setLong(6, n.endLsn().value());
                ps.setLong(7, r.plainSize());
                ps.setLong(8, r.storedSize());
                ps.setString(9, r.checksum());
                ps.setString(10, r.storageKey());
                ps.setString(11, r.keyId());
                setInstant(ps, 12, r.archivedAt());
                SegmentIndex x = r.index();
                setInstant(ps, 13, x == null ? null : x.firstEnd());
                setInstant(ps, 14, x == null ? null : x.lastEnd());
                ps.setInt(15, x == null ? 0 : 1);
                ps.setLong(16, x == null ? 0 : x.minXid());
                ps.setLong(17, x == null ? 0 : x.maxXid());
                ps.setInt(18, x == null ? 0 : x.transactions());
                ps.setString(19, x == null ? null : x.restorePointsText());
                ps.setString(20, x == null ? null : x.problem());
                if (ps.executeUpdate() == 1) {
                    return Recorded.INSERTED;
                }
            }
            // another process recorded it between our read and our insert
            return sameOrConflict(
                    r.name().fileName(), recordedSha(r.name().fileName()).orElseThrow(), r.checksum());
        } catch (SQLException e) {
            throw failure("record segment " + r.name(), e);
        }
    }

    private static Recorded sameOrConflict(String name, String existingSha, String newSha) {
        if (existingSha.equals(newSha)) {
            return Recorded.ALREADY_PRESENT;
        }
        throw ArchiveConflictException.of(name, existingSha, newSha);
    }

    /** The checksum of the segment as recorded, expired or not. */
    private Optional<String> recordedSha(String fileName) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT sha256 FROM segments WHERE file_name = ?")) {
            ps.setString(1, fileName);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    @Override
    public synchronized Optional<SegmentRecord> segment(WalFileName fileName) {
        return querySegments("AND file_name = ?", ps -> ps.setString(1, fileName.text())).stream()
                .findFirst();
    }

    @Override
    public synchronized void expireSegment(WalFileName fileName, Instant at) {
        expireSegments(List.of(fileName), at);
    }

    /** One transaction for the lot, each block the segments were in summed up again once. */
    @Override
    public synchronized void expireSegments(List<WalFileName> fileNames, Instant at) {
        inTransaction("expire " + fileNames.size() + " segments", () -> {
            List<SegmentRecord> gone = new ArrayList<>();
            for (WalFileName f : fileNames) {
                Optional<SegmentRecord> live = segment(f);
                updateSegment(
                        "UPDATE segments SET expired_at = COALESCE(expired_at, ?) WHERE file_name = ?",
                        f.text(),
                        at,
                        "is not recorded");
                live.ifPresent(gone::add);
            }
            blocks.expired(gone, at.truncatedTo(java.time.temporal.ChronoUnit.MICROS));
            return null;
        });
    }

    @Override
    public synchronized void segmentRemoved(WalFileName fileName, Instant at) {
        segmentsRemoved(List.of(fileName), at);
    }

    /** One transaction for the lot, each block the segments were in summed up again once. */
    @Override
    public synchronized void segmentsRemoved(List<WalFileName> fileNames, Instant at) {
        inTransaction("note " + fileNames.size() + " segments removed", () -> {
            Map<TimelineId, List<SegmentBlock.Expiry>> done = new java.util.TreeMap<>();
            for (WalFileName f : fileNames) {
                for (ExpiredSegment e : expiredSegments(f, f)) {
                    if (e.removedAt() == null) {
                        long segno = SegmentName.of(f, knownSegmentSize()).segno();
                        done.computeIfAbsent(f.timeline(), k -> new ArrayList<>())
                                .add(new SegmentBlock.Expiry(segno, e.expiredAt(), null));
                    }
                }
                updateSegment(
                        "UPDATE segments SET removed_at = COALESCE(removed_at, ?) WHERE file_name = ? AND expired_at IS"
                                + " NOT NULL",
                        f.text(),
                        at,
                        "is not expired");
            }
            for (Map.Entry<TimelineId, List<SegmentBlock.Expiry>> e : done.entrySet()) {
                blocks.removed(e.getKey(), e.getValue());
            }
            return null;
        });
    }

    @Override
    public synchronized List<ExpiredSegment> expiredSegments(WalFileName from, WalFileName to) {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT file_name, storage_key, expired_at, removed_at FROM segments WHERE expired_at IS NOT NULL"
                        + " AND file_name BETWEEN ? AND ? ORDER BY file_name")) {
            ps.setString(1, from.text());
            ps.setString(2, to.text());
            List<ExpiredSegment> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ExpiredSegment(
                            WalFileName.of(rs.getString(1)), rs.getString(2), getInstant(rs, 3), getInstant(rs, 4)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("read expired segments", e);
        }
    }

    @Override
    public synchronized void forgetSegment(WalFileName fileName) {
        inTransaction("forget segment " + fileName, () -> {
            long size = knownSegmentSize();
            try (PreparedStatement ps =
                    conn.prepareStatement("DELETE FROM segments WHERE file_name = ? AND removed_at IS NOT NULL")) {
                ps.setString(1, fileName.text());
                if (ps.executeUpdate() != 1) {
                    throw new IllegalStateException("segment " + fileName + " is not recorded as removed");
                }
            }
            blocks.forgotten(SegmentName.of(fileName, size));
            return null;
        });
    }

    private void updateSegment(String sql, String fileName, Instant at, String otherwise) {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            setInstant(ps, 1, at);
            ps.setString(2, fileName);
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("segment " + fileName + " " + otherwise);
            }
        } catch (SQLException e) {
            throw failure("update segment " + fileName, e);
        }
    }

    @Override
    public synchronized List<ExpiredSegment> expiredSegments() {
        try (PreparedStatement ps = conn.prepareStatement(
                        "SELECT file_name, storage_key, expired_at, removed_at FROM segments WHERE expired_at IS NOT NULL"
                                + " ORDER BY timeline, segno");
                ResultSet rs = ps.executeQuery()) {
            List<ExpiredSegment> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new ExpiredSegment(
                        WalFileName.of(rs.getString(1)), rs.getString(2), getInstant(rs, 3), getInstant(rs, 4)));
            }
            return out;
        } catch (SQLException e) {
            throw failure("read expired segments", e);
        }
    }

    @Override
    public synchronized void recordSegmentKeyId(WalFileName fileName, String keyId) {
        try (PreparedStatement ps = conn.prepareStatement("UPDATE segments SET key_id = ? WHERE file_name = ?")) {
            ps.setString(1, keyId);
            ps.setString(2, fileName.text());
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("segment " + fileName + " is not recorded");
            }
        } catch (SQLException e) {
            throw failure("record the key id of " + fileName, e);
        }
    }

    @Override
    public synchronized List<SegmentRecord> segments(TimelineId timeline, long fromSegno, long toSegno) {
        return querySegments("AND timeline = ? AND segno BETWEEN ? AND ? ORDER BY segno", ps -> {
            ps.setLong(1, timeline.value());
            ps.setLong(2, fromSegno);
            ps.setLong(3, toSegno);
        });
    }

    @Override
    public synchronized List<SegmentRecord> allSegments() {
        return querySegments("ORDER BY timeline, segno", ps -> {});
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private List<SegmentRecord> querySegments(String where, Binder binder) {
        String sql =
                "SELECT timeline, segno, segment_size, plain_size, stored_size, sha256, storage_key, key_id, archived_at,"
                        + " first_commit, last_commit, indexed, min_xid, max_xid, transactions, restore_points, index_problem"
                        + " FROM segments WHERE expired_at IS NULL "
                        + where;
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            binder.bind(ps);
            List<SegmentRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new SegmentRecord(
                            new SegmentName(TimelineId.of(rs.getLong(1)), rs.getLong(2), rs.getLong(3)),
                            rs.getLong(4),
                            rs.getLong(5),
                            rs.getString(6),
                            rs.getString(7),
                            rs.getString(8),
                            getInstant(rs, 9),
                            rs.getInt(12) == 0
                                    ? null
                                    : new SegmentIndex(
                                            getInstant(rs, 10),
                                            getInstant(rs, 11),
                                            rs.getLong(13),
                                            rs.getLong(14),
                                            rs.getInt(15),
                                            SegmentIndex.parseRestorePoints(rs.getString(16)),
                                            rs.getString(17))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("read segments", e);
        }
    }

    @Override
    public synchronized Recorded recordPartial(PartialSegment p) {
        try (PreparedStatement ps = conn.prepareStatement(
                "INSERT INTO partials VALUES (?,?,?,?,?,?) ON CONFLICT (file_name) DO UPDATE SET bytes = excluded.bytes,"
                        + " record = excluded.record WHERE excluded.bytes > partials.bytes")) {
            SegmentName n = p.name();
            ps.setString(1, n.fileName());
            ps.setLong(2, n.timeline().value());
            ps.setLong(3, n.segno());
            ps.setLong(4, n.segmentSize());
            ps.setLong(5, p.bytes());
            ps.setString(6, p.encode());
            return ps.executeUpdate() == 1 ? Recorded.INSERTED : Recorded.ALREADY_PRESENT;
        } catch (SQLException e) {
            throw failure("record partial segment " + p.name(), e);
        }
    }

    @Override
    public synchronized Optional<PartialSegment> partial(WalFileName fileName) {
        return queryPartials("WHERE file_name = ?", ps -> ps.setString(1, fileName.text())).stream()
                .findFirst();
    }

    @Override
    public synchronized List<PartialSegment> partials() {
        return queryPartials("ORDER BY timeline, segno", ps -> {});
    }

    private List<PartialSegment> queryPartials(String where, Binder binder) {
        try (PreparedStatement ps =
                conn.prepareStatement("SELECT timeline, segno, segment_size, record FROM partials " + where)) {
            binder.bind(ps);
            List<PartialSegment> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    SegmentName n = new SegmentName(TimelineId.of(rs.getLong(1)), rs.getLong(2), rs.getLong(3));
                    out.add(PartialSegment.decode(n, rs.getString(4)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("read partial segments", e);
        }
    }

    @Override
    public synchronized void forgetPartial(WalFileName fileName) {
        try (PreparedStatement ps = conn.prepareStatement("DELETE FROM partials WHERE file_name = ?")) {
            ps.setString(1, fileName.text());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw failure("forget partial segment " + fileName, e);
        }
    }

    @Override
    public synchronized Recorded recordHistory(HistoryRecord h) {
        return inTransaction("record history " + h.fileName(), () -> {
            Recorded out = insertHistory(h);
            if (out == Recorded.INSERTED) {
                for (SegmentBlocks.Cut c : SegmentBlocks.cuts(h)) {
                    blocks.cut(c);
                }
            }
            return out;
        });
    }

    private Recorded insertHistory(HistoryRecord h) {
        try {
            Optional<HistoryRecord> existing = history(h.timeline());
            if (existing.isPresent()) {
                return sameOrConflict(h.fileName(), existing.get().sha256(), h.sha256());
            }
            try (PreparedStatement ps =
                    conn.prepareStatement("INSERT INTO histories VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING")) {
                ps.setLong(1, h.timeline().value());
                ps.setString(2, h.content());
                ps.setString(3, h.sha256());
                ps.setString(4, h.storageKey());
                ps.setLong(5, h.storedSize());
                setInstant(ps, 6, h.archivedAt());
                if (ps.executeUpdate() == 1) {
                    return Recorded.INSERTED;
                }
            }
            return sameOrConflict(
                    h.fileName(), history(h.timeline()).orElseThrow().sha256(), h.sha256());
        } catch (SQLException e) {
            throw failure("record history " + h.fileName(), e);
        }
    }

    @Override
    public synchronized Optional<HistoryRecord> history(TimelineId timeline) {
        return queryHistories("WHERE timeline = ?", ps -> ps.setLong(1, timeline.value())).stream()
                .findFirst();
    }

    @Override
    public synchronized List<HistoryRecord> histories() {
        return queryHistories("ORDER BY timeline", ps -> {});
    }

    private List<HistoryRecord> queryHistories(String where, Binder binder) {
        String sql = "SELECT timeline, content, sha256, storage_key, stored_size, archived_at FROM histories " + where;
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            binder.bind(ps);
            List<HistoryRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new HistoryRecord(
                            TimelineId.of(rs.getLong(1)),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getLong(5),
                            getInstant(rs, 6)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("read histories", e);
        }
    }

    @Override
    public synchronized void createSnapshot(SnapshotRecord s) {
        inTransaction("create snapshot " + s.id(), () -> {
            try (PreparedStatement ps = conn.prepareStatement(
                    "INSERT INTO snapshots (id, label, status, timeline, start_lsn, stop_lsn, start_time, stop_time,"
                            + " first_segment, last_segment, plain_size, stored_size, sha256, storage_key, key_id,"
                            + " backup_manifest, retention, lineage) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                            + " ON CONFLICT DO NOTHING")) {
                bindSnapshot(ps, s);
                if (ps.executeUpdate() != 1) {
                    throw new ArchiveConflictException("snapshot " + s.id() + " already exists");
                }
            }
            SegmentBlocks.cut(s).ifPresent(this::cut);
            return null;
        });
    }

    private void cut(SegmentBlocks.Cut c) {
        try {
            blocks.cut(c);
        } catch (SQLException e) {
            throw failure("note a cut in the segment summaries", e);
        }
    }

    @Override
    public synchronized void updateSnapshot(SnapshotRecord s) {
        inTransaction("update snapshot " + s.id(), () -> {
            try (PreparedStatement ps = conn.prepareStatement(
                    "UPDATE snapshots SET id=?, label=?, status=?, timeline=?, start_lsn=?, stop_lsn=?, start_time=?,"
                            + " stop_time=?, first_segment=?, last_segment=?, plain_size=?, stored_size=?, sha256=?,"
                            + " storage_key=?, key_id=?, backup_manifest=COALESCE(?, backup_manifest), retention=?,"
                            + " lineage=? WHERE id=?")) {
                bindSnapshot(ps, s);
                ps.setString(19, s.id().value());
                if (ps.executeUpdate() != 1) {
                    throw new IllegalStateException("snapshot " + s.id() + " does not exist");
                }
            }
            SegmentBlocks.cut(s).ifPresent(this::cut);
            return null;
        });
    }

    private static void bindSnapshot(PreparedStatement ps, SnapshotRecord s) throws SQLException {
        ps.setString(1, s.id().value());
        ps.setString(2, s.label());
        ps.setString(3, s.status().name());
        ps.setLong(4, s.timeline().value());
        ps.setLong(5, s.startLsn().value());
        if (s.stopLsn() == null) {
            ps.setNull(6, Types.INTEGER);
        } else {
            ps.setLong(6, s.stopLsn().value());
        }
        setInstant(ps, 7, s.startTime());
        setInstant(ps, 8, s.stopTime());
        ps.setString(9, WalFileName.textOrNull(s.firstSegment()));
        ps.setString(10, WalFileName.textOrNull(s.lastSegment()));
        ps.setLong(11, s.plainSize());
        ps.setLong(12, s.storedSize());
        ps.setString(13, s.sha256());
        ps.setString(14, s.storageKey());
        ps.setString(15, s.keyId());
        ps.setString(16, s.backupManifest() == null ? null : s.backupManifest().text());
        ps.setString(17, s.retention().text());
        ps.setString(18, s.lineage().text());
    }

    @Override
    public synchronized Optional<SnapshotRecord> snapshot(SnapshotId id) {
        return querySnapshots("WHERE id = ?", ps -> ps.setString(1, id.value())).stream()
                .findFirst();
    }

    @Override
    public synchronized void forgetSnapshot(SnapshotId id) {
        try (PreparedStatement ps =
                conn.prepareStatement("DELETE FROM snapshots WHERE id = ? AND status = 'REMOVED'")) {
            ps.setString(1, id.value());
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("snapshot " + id + " is not recorded as removed");
            }
        } catch (SQLException e) {
            throw failure("forget snapshot " + id, e);
        }
    }

    private static final String RESTORE_COLUMNS = "id, recorded_at, outcome, target, snapshot_id, timeline,"
            + " stopped_at, error, cause, lay_down_ms, lay_down_bytes, replay_ms, replay_bytes, total_ms";

    @Override
    public synchronized void recordRestore(RestoreRecord r) {
        try (PreparedStatement ps = conn.prepareStatement(
                "INSERT OR REPLACE INTO restores (" + RESTORE_COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            ps.setString(1, r.id());
            setInstant(ps, 2, r.recordedAt());
            ps.setString(3, r.outcome());
            ps.setString(4, r.target());
            ps.setString(5, r.snapshotId());
            setLong(ps, 6, r.timeline());
            ps.setString(7, r.stoppedAt());
            ps.setString(8, r.error());
            ps.setString(9, r.cause());
            setTiming(ps, 10, r.timing());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw failure("record restore " + r.id(), e);
        }
    }

    @Override
    public synchronized Optional<RestoreRecord> restore(String id) {
        return readRestores("WHERE id = ?", id).stream().findFirst();
    }

    @Override
    public synchronized List<RestoreRecord> restores() {
        return readRestores("ORDER BY id");
    }

    @Override
    public synchronized Optional<RestoreRecord> latestRestore() {
        return readRestores("ORDER BY recorded_at DESC, id DESC LIMIT 1").stream()
                .findFirst();
    }

    private List<RestoreRecord> readRestores(String where, String... args) {
        try (PreparedStatement ps = conn.prepareStatement("SELECT " + RESTORE_COLUMNS + " FROM restores " + where)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            List<RestoreRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new RestoreRecord(
                            rs.getString(1),
                            getInstant(rs, 2),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getString(5),
                            getLong(rs, 6),
                            rs.getString(7),
                            rs.getString(8),
                            rs.getString(9),
                            getTiming(rs, 10)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("read restores", e);
        }
    }

    @Override
    public synchronized void recordDrill(DrillRecord d) {
        try (PreparedStatement ps =
                conn.prepareStatement("INSERT OR REPLACE INTO drills (id, started_at, finished_at, passed, target,"
                        + " snapshot_id, lay_down_ms, lay_down_bytes, replay_ms, replay_bytes, total_ms, checks, error,"
                        + " cause) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            ps.setString(1, d.id());
            setInstant(ps, 2, d.startedAt());
            setInstant(ps, 3, d.finishedAt());
            ps.setInt(4, d.passed() ? 1 : 0);
            ps.setString(5, d.target());
            ps.setString(6, d.snapshotId());
            setTiming(ps, 7, d.timing());
            ps.setString(12, d.checksJson());
            ps.setString(13, d.error());
            ps.setString(14, d.cause());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw failure("record drill " + d.id(), e);
        }
    }

    @Override
    public synchronized Optional<DrillRecord> latestDrill(boolean passedOnly) {
        return oneDrill((passedOnly ? " WHERE passed = 1" : "") + " ORDER BY finished_at DESC, id DESC LIMIT 1", null);
    }

    @Override
    public synchronized Optional<DrillRecord> drill(String id) {
        return oneDrill(" WHERE id = ?", id);
    }

    /** The first drill {@code where} (with {@code arg} for its one parameter, if not null) selects. */
    private Optional<DrillRecord> oneDrill(String where, String arg) {
        try (PreparedStatement ps = conn.prepareStatement("SELECT id, started_at, finished_at, passed, target,"
                + " snapshot_id, lay_down_ms, lay_down_bytes, replay_ms, replay_bytes, total_ms, checks, error,"
                + " cause FROM drills" + where)) {
            if (arg != null) {
                ps.setString(1, arg);
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new DrillRecord(
                        rs.getString(1),
                        getInstant(rs, 2),
                        getInstant(rs, 3),
                        rs.getInt(4) == 1,
                        rs.getString(5),
                        rs.getString(6),
                        getTiming(rs, 7),
                        DrillRecord.parseChecks(rs.getString(12)),
                        rs.getString(13),
                        rs.getString(14)));
            }
        } catch (SQLException e) {
            throw failure("read drills", e);
        }
    }

    /** A timing into the five columns from {@code i}: lay-down ms and bytes, replay ms and bytes, total ms. */
    private static void setTiming(PreparedStatement ps, int i, RecoveryTiming t) throws SQLException {
        Long[] v = t == null
                ? new Long[5]
                : new Long[] {t.layDownMillis(), t.layDownBytes(), t.replayMillis(), t.replayBytes(), t.totalMillis()};
        for (int k = 0; k < v.length; k++) {
            setLong(ps, i + k, v[k]);
        }
    }

    private static RecoveryTiming getTiming(ResultSet rs, int i) throws SQLException {
        Long total = getLong(rs, i + 4);
        return total == null
                ? null
                : new RecoveryTiming(getLong(rs, i), getLong(rs, i + 1), getLong(rs, i + 2), getLong(rs, i + 3), total);
    }

    private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.INTEGER);
        } else {
            ps.setLong(i, v);
        }
    }

    private static Long getLong(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? null : v;
    }

    @Override
    public synchronized List<SnapshotRecord> snapshots() {
        return querySnapshots("ORDER BY id", ps -> {});
    }

    private List<SnapshotRecord> querySnapshots(String where, Binder binder) {
        String sql = "SELECT id, label, status, timeline, start_lsn, stop_lsn, start_time, stop_time, first_segment,"
                + " last_segment, plain_size, stored_size, sha256, storage_key, key_id, backup_manifest, retention, lineage"
                + " FROM snapshots "
                + where;
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            binder.bind(ps);
            List<SnapshotRecord> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long stop = rs.getLong(6);
                    Lsn stopLsn = rs.wasNull() ? null : new Lsn(stop);
                    out.add(new SnapshotRecord(
                            new SnapshotId(rs.getString(1)),
                            rs.getString(2),
                            SnapshotRecord.Status.valueOf(rs.getString(3)),
                            TimelineId.of(rs.getLong(4)),
                            new Lsn(rs.getLong(5)),
                            stopLsn,
                            getInstant(rs, 7),
                            getInstant(rs, 8),
                            WalFileName.orNull(rs.getString(9)),
                            WalFileName.orNull(rs.getString(10)),
                            rs.getLong(11),
                            rs.getLong(12),
                            rs.getString(13),
                            rs.getString(14),
                            rs.getString(15),
                            BackupManifest.parseOrNull(rs.getString(16)),
                            RetentionState.parse(rs.getString(17)),
                            SnapshotLineage.parse(rs.getString(18))));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failure("read snapshots", e);
        }
    }

    @Override
    public synchronized Optional<String> clusterSetting(String name) {
        try (PreparedStatement ps = conn.prepareStatement("SELECT v FROM meta WHERE k = ?")) {
            ps.setString(1, "setting." + name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw failure("read the cluster setting " + name, e);
        }
    }

    @Override
    public synchronized void putClusterSetting(String name, String value) {
        try (PreparedStatement ps = conn.prepareStatement("INSERT OR REPLACE INTO meta VALUES (?, ?)")) {
            ps.setString(1, "setting." + name);
            ps.setString(2, value);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw failure("record the cluster setting " + name, e);
        }
    }

    @Override
    public synchronized boolean claimRun(String job, Instant slot, String owner) {
        try (PreparedStatement ins = conn.prepareStatement("INSERT OR IGNORE INTO runs VALUES (?, ?, ?)");
                PreparedStatement q = conn.prepareStatement("SELECT owner FROM runs WHERE job = ? AND slot = ?")) {
            ins.setString(1, job);
            setInstant(ins, 2, slot);
            ins.setString(3, owner);
            ins.executeUpdate();
            q.setString(1, job);
            setInstant(q, 2, slot);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() && rs.getString(1).equals(owner);
            }
        } catch (SQLException e) {
            throw failure("claim the " + job + " run of " + slot, e);
        }
    }

    /**
     * One conditional upsert takes the lease, so two processes on the same file cannot both win. The embedded catalog
     * serves one host, where the spool lock already keeps a second capture out; its writes are not fenced.
     */
    @Override
    public synchronized ShippingLease acquireShippingLease(String owner, Duration ttl) {
        long now = System.currentTimeMillis();
        long expires = now + ttl.toMillis();
        try (PreparedStatement ps =
                conn.prepareStatement("INSERT INTO leases VALUES ('capture', ?, 1, ?) ON CONFLICT(name) DO UPDATE"
                        + " SET owner = excluded.owner, token = leases.token + 1, expires_at = excluded.expires_at"
                        + " WHERE leases.expires_at < ? OR leases.owner = ?")) {
            ps.setString(1, owner);
            ps.setLong(2, expires);
            ps.setLong(3, now);
            ps.setString(4, owner);
            boolean won = ps.executeUpdate() == 1;
            try (PreparedStatement q = conn.prepareStatement(
                            "SELECT owner, token, expires_at FROM leases WHERE name = 'capture'");
                    ResultSet rs = q.executeQuery()) {
                rs.next();
                if (!won || !rs.getString(1).equals(owner)) {
                    throw new LeaseHeldException(rs.getString(1), Instant.ofEpochMilli(rs.getLong(3)));
                }
                return new SqliteLease(owner, rs.getLong(2), Instant.ofEpochMilli(rs.getLong(3)), ttl);
            }
        } catch (SQLException e) {
            throw failure("take the shipping lease", e);
        }
    }

    private final class SqliteLease extends ExpiringLease {

        SqliteLease(String owner, long token, Instant expiresAt, Duration ttl) {
            super(owner, token, expiresAt, ttl);
        }

        @Override
        protected void writeExpiry(Instant when) {
            synchronized (SqliteCatalog.this) {
                try (PreparedStatement ps = conn.prepareStatement(
                        "UPDATE leases SET expires_at = ? WHERE name = 'capture' AND owner = ? AND token = ?")) {
                    ps.setLong(1, when.toEpochMilli());
                    ps.setString(2, owner());
                    ps.setLong(3, token());
                    if (ps.executeUpdate() != 1) {
                        throw new LeaseHeldException("another process", expiresAt());
                    }
                } catch (SQLException e) {
                    throw failure("renew the shipping lease", e);
                }
            }
        }
    }

    @Override
    public String describe() {
        return "sqlite:" + file;
    }

    @Override
    public synchronized void close() {
        try {
            conn.close();
        } catch (SQLException e) {
            throw failure("close", e);
        }
    }

    private CatalogException failure(String what, SQLException e) {
        return new CatalogException("catalog " + file + ": cannot " + what + ": " + e.getMessage(), e);
    }

    /** Adds the columns a catalog written by an earlier version lacks. */
    private void addColumns(Statement s, String table, String... columns) throws SQLException {
        java.util.Set<String> have = new java.util.HashSet<>();
        try (ResultSet rs = s.executeQuery("PRAGMA table_info(" + table + ")")) {
            while (rs.next()) {
                have.add(rs.getString("name"));
            }
        }
        for (String c : columns) {
            if (!have.contains(c.split(" ", 2)[0])) {
                s.executeUpdate("ALTER TABLE " + table + " ADD COLUMN " + c);
            }
        }
    }

    private static void setInstant(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) {
            ps.setNull(i, Types.INTEGER);
        } else {
            // microseconds: the precision of PostgreSQL's commit timestamps
            ps.setLong(i, Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000));
        }
    }

    private static Instant getInstant(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull()
                ? null
                : Instant.ofEpochSecond(Math.floorDiv(v, 1_000_000L), Math.floorMod(v, 1_000_000L) * 1_000);
    }
}
