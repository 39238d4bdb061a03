package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.SegmentRecord;
import dev.pitr.cli.Cli;
import dev.pitr.config.Config;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PostgresServers;
import dev.pitr.postgres.Processes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The WAL reader and the index pitr records, on real WAL of every major version it reads, against what that version's
 * server itself reports: each transaction's id ({@code txid_current()}), whether it committed ({@code txid_status})
 * and when ({@code pg_xact_commit_timestamp}, with {@code track_commit_timestamp} on), and where each restore point
 * ends ({@code pg_create_restore_point}). The workload writes every part a transaction record may carry (subtransactions,
 * dropped relations and their statistics, invalidations, two-phase commit and rollback, compressed full-page images),
 * so a layout that differs between versions is read as that version writes it.
 */
class WalFormatIT {

    /** What the server reported for one transaction of the workload. */
    private record Ended(long xid, boolean committed, Instant time) {}

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {13, 14, 15, 16, 17, 18})
    void theReaderAndTheRecordedIndexAgreeWithTheServer(int major) throws Exception {
        Path base = Files.createTempDirectory(Path.of("/tmp"), "pitr-it-walformat-" + major + "-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port = LocalCluster.freePort();
        LocalCluster pg = LocalCluster.init(PostgresServers.tools(major), base.resolve("data"), port);
        Files.writeString(
                pg.dataDir().resolve("postgresql.conf"),
                "track_commit_timestamp = on\nmax_prepared_transactions = 4\nwal_keep_size = '1GB'\n"
                        + "full_page_writes = on\nwal_compression = " + (major <= 14 ? "on" : "pglz") + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        pg.start();
        try {
            assertEquals(major, Integer.parseInt(pg.queryOne("SHOW server_version_num")) / 10000);
            String first = pg.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
            Map<String, Lsn> restorePointEnds = new TreeMap<>();
            List<Ended> ended = new ArrayList<>();
            try (Connection c = pg.connect();
                    Statement st = c.createStatement()) {
                st.execute("CREATE TABLE t (id int PRIMARY KEY, pad text)");
                restorePointEnds.put("before", restorePoint(st, "before"));
                for (int i = 0; i < 48; i++) {
                    ended.add(transaction(st, i));
                    if (i % 12 == 0) {
                        // a checkpoint makes the next change of each page write its whole image
                        st.execute("CHECKPOINT");
                    }
                }
                // the longest name a restore point holds (63 bytes and its terminator)
                String longest = "after-" + "x".repeat(57);
                restorePointEnds.put(longest, restorePoint(st, longest));
            }
            String last = pg.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("SELECT pg_switch_wal()");
            Map<Long, Ended> truth = reportedByTheServer(pg, ended);

            List<Path> segments = segments(pg.dataDir().resolve("pg_wal"), first, last);
            Map<Long, WalRecords.TransactionEnd> read = new HashMap<>();
            Map<String, Lsn> points = new TreeMap<>();
            for (int i = 0; i < segments.size(); i++) {
                Path p = segments.get(i);
                SegmentName name = SegmentName.parse(p.getFileName().toString(), Files.size(p));
                ByteBuffer next =
                        i + 1 < segments.size() ? ByteBuffer.wrap(Files.readAllBytes(segments.get(i + 1))) : null;
                WalRecords.Result r = WalRecords.read(name, ByteBuffer.wrap(Files.readAllBytes(p)), next);
                assertEquals(WalFormat.ofMajor(major).orElseThrow(), r.format(), name.fileName());
                if (i < segments.size() - 1) {
                    assertNull(r.stoppedBecause(), name + ": " + r.stoppedBecause());
                }
                r.transactionEnds().forEach(e -> read.put(e.xid(), e));
                r.restorePoints().forEach(rp -> points.put(rp.name(), rp.lsn()));
            }

            List<String> differences = new ArrayList<>();
            for (Ended e : truth.values()) {
                WalRecords.TransactionEnd got = read.get(e.xid());
                String want = (e.committed() ? "commit at " + e.time() : "abort");
                String have = got == null ? "nothing" : got.commit() ? "commit at " + got.time() : "abort";
                if (!want.equals(have)) {
                    differences.add("xid " + e.xid() + ": server " + want + ", pitr " + have);
                }
            }
            assertEquals(List.of(), differences, "PostgreSQL " + major);
            assertTrue(read.keySet().stream().noneMatch(x -> x < 3), "no transaction ends under a special xid");
            assertEquals(restorePointEnds.keySet(), points.keySet(), "restore points");
            restorePointEnds.forEach((nameOf, end) -> {
                Lsn start = points.get(nameOf);
                // the function returns where the record ends: the record starts just before, a page header at most
                // between
                assertTrue(
                        start != null && start.isBefore(end) && end.value() - start.value() <= 104 + 40,
                        nameOf + " starts at " + start + ", the server says it ends at " + end);
            });

            // what `wal push` records for each segment, read back from the catalog
            Path config = base.resolve("pitr.yaml");
            Files.writeString(config, "wal:\n  spool_dir: spool\nstorage:\n  path: repo\n");
            for (Path p : segments) {
                Cli.Run push = Cli.run(Map.of(), "--config", config.toString(), "wal", "push", p.toString());
                assertEquals(0, push.exitCode(), push.toString());
            }
            assertTrue(
                    Files.readString(base.resolve("repo/pitr-cluster.json")).contains("\"postgres_major\":" + major),
                    "the repository records its cluster's version");
            try (Repository repo = Repository.open(Config.load(config, Map.of()), true)) {
                List<SegmentRecord> recorded = repo.catalog().allSegments();
                assertEquals(segments.size(), recorded.size());
                int transactions = 0;
                List<String> unindexed = new ArrayList<>();
                for (Ended e : truth.values()) {
                    WalRecords.TransactionEnd end = read.get(e.xid());
                    SegmentRecord holder = recorded.stream()
                            .filter(s -> !end.lsn().isBefore(s.name().startLsn())
                                    && end.lsn().isBefore(s.name().endLsn()))
                            .findFirst()
                            .orElseThrow();
                    boolean inRange = holder.index().mayHoldXid(e.xid())
                            && !end.time().isBefore(holder.index().firstEnd())
                            && !end.time().isAfter(holder.index().lastEnd());
                    if (!inRange) {
                        unindexed.add(e.xid() + " in " + holder.name().fileName() + " " + holder.index());
                    }
                }
                for (SegmentRecord s : recorded) {
                    transactions += s.index().transactions();
                    assertNull(s.index().problem(), s.name().fileName());
                }
                assertEquals(List.of(), unindexed);
                assertEquals(read.size(), transactions, "every transaction end is counted once");
                assertEquals(
                        points.keySet(),
                        recorded.stream()
                                .flatMap(s -> s.index().restorePoints().stream())
                                .map(WalRecords.RestorePoint::name)
                                .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)));
            }
        } finally {
            pg.close();
            Processes.run(List.of("rm", "-rf", base.toString()));
        }
    }

    private static Lsn restorePoint(Statement st, String name) throws SQLException {
        try (var rs = st.executeQuery("SELECT pg_create_restore_point('" + name + "')")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    /** One transaction of six kinds in turn; returns its id (its status and time are asked for afterwards). */
    private static Ended transaction(Statement st, int i) throws SQLException {
        String row =
                "INSERT INTO t VALUES (" + i + ", md5('" + i + "') || repeat('-', " + (i % 6 == 5 ? 6000 : 20) + "))";
        switch (i % 6) {
            case 0, 5 -> {
                st.execute("BEGIN");
                st.execute(row);
                long xid = xid(st);
                st.execute("COMMIT");
                return new Ended(xid, true, null);
            }
            case 1 -> {
                st.execute("BEGIN");
                st.execute(row);
                long xid = xid(st);
                st.execute("ROLLBACK");
                return new Ended(xid, false, null);
            }
            case 2 -> {
                // subtransactions that got ids of their own: the commit record lists them
                st.execute("BEGIN");
                st.execute(row);
                st.execute("SAVEPOINT a");
                st.execute("INSERT INTO t VALUES (" + (10_000 + i) + ", 'sub a')");
                st.execute("RELEASE a");
                st.execute("SAVEPOINT b");
                st.execute("INSERT INTO t VALUES (" + (20_000 + i) + ", 'sub b')");
                long xid = xid(st);
                st.execute("COMMIT");
                return new Ended(xid, true, null);
            }
            case 3 -> {
                // a prepared transaction that drops a table: its COMMIT PREPARED carries the relation, its dropped
                // statistics (15 on) and invalidations before the two-phase part that names it
                st.execute("CREATE TABLE d" + i + " (x int)");
                st.execute("INSERT INTO d" + i + " VALUES (1)");
                st.execute("BEGIN");
                st.execute("DROP TABLE d" + i);
                st.execute(row);
                long xid = xid(st);
                st.execute("PREPARE TRANSACTION 'g" + i + "'");
                st.execute("COMMIT PREPARED 'g" + i + "'");
                return new Ended(xid, true, null);
            }
            default -> {
                st.execute("BEGIN");
                st.execute("CREATE TABLE r" + i + " (x int)");
                st.execute(row);
                long xid = xid(st);
                st.execute("PREPARE TRANSACTION 'g" + i + "'");
                st.execute("ROLLBACK PREPARED 'g" + i + "'");
                return new Ended(xid, false, null);
            }
        }
    }

    private static long xid(Statement st) throws SQLException {
        try (var rs = st.executeQuery("SELECT txid_current()")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Each transaction as the server reports it once all have ended: committed or not, and the commit's time. */
    private static Map<Long, Ended> reportedByTheServer(LocalCluster pg, List<Ended> ended) throws SQLException {
        Map<Long, Ended> out = new TreeMap<>();
        try (Connection c = pg.connect();
                Statement st = c.createStatement()) {
            for (Ended e : ended) {
                try (var rs = st.executeQuery("SELECT txid_status(" + e.xid() + "),"
                        + " to_char(pg_xact_commit_timestamp('" + e.xid() + "'::xid) AT TIME ZONE 'UTC',"
                        + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")) {
                    rs.next();
                    boolean committed = rs.getString(1).equals("committed");
                    assertEquals(e.committed(), committed, "xid " + e.xid() + " is " + rs.getString(1));
                    out.put(e.xid(), new Ended(e.xid(), committed, committed ? Instant.parse(rs.getString(2)) : null));
                }
            }
        }
        return out;
    }

    private static List<Path> segments(Path walDir, String first, String last) throws Exception {
        try (Stream<Path> s = Files.list(walDir)) {
            return s.filter(p -> SegmentName.isSegmentFileName(p.getFileName().toString()))
                    .filter(p -> p.getFileName().toString().compareTo(first) >= 0
                            && p.getFileName().toString().compareTo(last) <= 0)
                    .sorted()
                    .toList();
        }
    }
}
