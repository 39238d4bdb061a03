package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.SegmentIndex;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Processes;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The WAL reader against {@code pg_waldump} on the same real segments: a PostgreSQL 15 primary runs pgbench plus
 * commits, aborts and restore points, and every commit and abort time and every restore point the reader finds in each
 * segment must be exactly what pg_waldump prints for that segment's LSN range.
 */
class WalRecordsIT {

    private static final PgTools TOOLS = new PgTools(Path.of("/usr/lib/postgresql/15/bin"), "postgres");
    private static final Pattern LINE = Pattern.compile(
            "rmgr: (\\w+)\\s+len \\(rec/tot\\):\\s*\\d+/\\s*\\d+, tx:\\s*(\\d+), lsn: ([0-9A-F]+/[0-9A-F]+), prev [0-9A-F]+/[0-9A-F]+, desc: (\\w+) ?(.*)");
    private static final DateTimeFormatter PG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    @Test
    void commitTimesAndRestorePointsAgreeWithPgWaldump() throws Exception {
        Path base = Files.createTempDirectory(Path.of("/tmp"), "pitr-walrecords-");
        Processes.run(List.of("chmod", "755", base.toString()));
        int port = LocalCluster.freePort();
        try (LocalCluster pg =
                LocalCluster.init(TOOLS, base.resolve("pg"), port).start()) {
            // keep every segment in pg_wal: a checkpoint would otherwise recycle them under future names
            pg.execute("ALTER SYSTEM SET wal_keep_size = '4GB'");
            pg.execute("SELECT pg_reload_conf()");
            String first = pg.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("CREATE TABLE marker (id int PRIMARY KEY, pad text)");
            pgbench(port, "-i", "-s", "3");
            pg.execute("SELECT pg_create_restore_point('before-load')");
            try (Connection c = pg.connect();
                    Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                for (int i = 0; i < 400; i++) {
                    // long rows now and then, so that commit records land across page and segment boundaries too
                    st.execute("INSERT INTO marker VALUES (" + i + ", repeat('x', " + (i % 7 == 0 ? 9000 : 40) + "))");
                    if (i % 5 == 0) {
                        c.rollback();
                    } else {
                        c.commit();
                    }
                }
            }
            pgbench(port, "-T", "4", "-c", "2");
            pg.execute("SELECT pg_create_restore_point('after-load')");
            pg.execute("INSERT INTO marker VALUES (100000, 'last')");
            String last = pg.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("SELECT pg_switch_wal()");

            Path walDir = pg.dataDir().resolve("pg_wal");
            List<Path> segments = new ArrayList<>();
            try (Stream<Path> s = Files.list(walDir)) {
                s.filter(p -> SegmentName.isSegmentFileName(p.getFileName().toString()))
                        .filter(p -> p.getFileName().toString().compareTo(first) >= 0
                                && p.getFileName().toString().compareTo(last) <= 0)
                        .sorted()
                        .forEach(segments::add);
            }
            assertTrue(segments.size() >= 3, "want several segments, got " + segments);

            Map<String, String> oracle = waldump(walDir, first, last);
            Map<String, String> ours = new TreeMap<>();
            int restorePoints = 0;
            // each segment's first record links back to the last record of the one before, and not to another's
            Lsn link = null;
            Lsn linkBefore = null;
            for (int i = 0; i < segments.size(); i++) {
                Path p = segments.get(i);
                SegmentName name = SegmentName.parse(p.getFileName().toString(), Files.size(p));
                ByteBuffer next =
                        i + 1 < segments.size() ? ByteBuffer.wrap(Files.readAllBytes(segments.get(i + 1))) : null;
                ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(p));
                WalRecords.Result r = WalRecords.read(name, bytes, next, link);
                if (i < segments.size() - 1) {
                    assertNull(r.stoppedBecause(), name + ": " + r.stoppedBecause());
                }
                if (linkBefore != null) {
                    WalRecords.Result wrong = WalRecords.read(name, bytes, next, linkBefore);
                    assertTrue(
                            wrong.damaged() && wrong.stoppedBecause().contains("the previous segment's last record"),
                            name + ": " + wrong.stoppedBecause());
                }
                linkBefore = link;
                link = r.lastRecord();
                assertEquals(1, r.timeline().value());
                for (WalRecords.TransactionEnd e : r.transactionEnds()) {
                    ours.put(e.lsn().toString(), (e.commit() ? "COMMIT " : "ABORT ") + e.xid() + " " + e.time());
                }
                for (WalRecords.RestorePoint rp : r.restorePoints()) {
                    ours.put(rp.lsn().toString(), "RESTORE_POINT " + rp.name());
                    restorePoints++;
                }
            }
            assertEquals(2, restorePoints);
            aRecordCutOffByACrashIsPassedOverWhereRecoveryWroteOn(segments.get(1));
            assertTrue(ours.values().stream().filter(v -> v.startsWith("ABORT")).count() >= 80);
            List<String> differences = new ArrayList<>();
            for (String k : new java.util.TreeSet<>(java.util.Set.copyOf(union(oracle, ours)))) {
                if (!java.util.Objects.equals(oracle.get(k), ours.get(k))) {
                    differences.add(k + ": pg_waldump " + oracle.get(k) + ", pitr " + ours.get(k));
                }
            }
            assertEquals(
                    List.of(),
                    differences.subList(0, Math.min(10, differences.size())),
                    differences.size() + " of " + oracle.size() + " records differ");

            // the index shipping records per segment (the next segment read from beside it, as capture leaves it)
            List<String> indexDifferences = new ArrayList<>();
            for (Path p : segments.subList(0, segments.size() - 1)) {
                SegmentName name = SegmentName.parse(p.getFileName().toString(), Files.size(p));
                SegmentIndex index = WalShipper.scan(p, name, dev.pitr.codec.Checksum.crc32c())
                        .index();
                String expected = expectedIndex(oracle, name);
                String got = describe(index);
                if (!expected.equals(got)) {
                    indexDifferences.add(name.fileName() + ": pg_waldump " + expected + ", pitr " + got);
                }
            }
            assertEquals(List.of(), indexDifferences);
        } finally {
            Processes.run(List.of("rm", "-rf", base.toString()));
        }
    }

    /** First and last transaction end time, xid range and restore points of one segment, from pg_waldump's lines. */
    private static String expectedIndex(Map<String, String> oracle, SegmentName seg) {
        List<String> times = new ArrayList<>();
        List<Long> xids = new ArrayList<>();
        List<String> points = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(oracle).entrySet()) {
            Lsn lsn = Lsn.parse(e.getKey());
            if (lsn.isBefore(seg.startLsn()) || !lsn.isBefore(seg.endLsn())) {
                continue;
            }
            String[] f = e.getValue().split(" ", 3);
            if (f[0].equals("RESTORE_POINT")) {
                points.add(f[1] + "@" + lsn);
            } else {
                times.add(f[2]);
                xids.add(Long.parseLong(f[1]));
            }
        }
        // the oracle's map is ordered by LSN text; order by LSN value for first and last
        return times.isEmpty()
                ? "none " + points
                : times.size() + " ends, " + firstByLsn(oracle, seg, true) + " .. " + firstByLsn(oracle, seg, false)
                        + ", xids "
                        + xids.stream().mapToLong(x -> x).min().getAsLong() + "-"
                        + xids.stream().mapToLong(x -> x).max().getAsLong()
                        + " " + points;
    }

    private static String firstByLsn(Map<String, String> oracle, SegmentName seg, boolean first) {
        return oracle.entrySet().stream()
                .filter(e -> !e.getValue().startsWith("RESTORE_POINT"))
                .map(e -> Map.entry(Lsn.parse(e.getKey()), e.getValue()))
                .filter(e -> !e.getKey().isBefore(seg.startLsn()) && e.getKey().isBefore(seg.endLsn()))
                .sorted(
                        first
                                ? Map.Entry.comparingByKey()
                                : Map.Entry.<Lsn, String>comparingByKey().reversed())
                .map(e -> e.getValue().split(" ", 3)[2])
                .findFirst()
                .orElseThrow();
    }

    private static String describe(SegmentIndex x) {
        List<String> points =
                x.restorePoints().stream().map(p -> p.name() + "@" + p.lsn()).toList();
        if (x.problem() != null) {
            return "problem " + x.problem();
        }
        return x.transactions() == 0
                ? "none " + points
                : x.transactions() + " ends, " + x.firstEnd() + " .. " + x.lastEnd() + ", xids " + x.minXid() + "-"
                        + x.maxXid() + " " + points;
    }

    private static java.util.Set<String> union(Map<String, String> a, Map<String, String> b) {
        java.util.Set<String> u = new java.util.HashSet<>(a.keySet());
        u.addAll(b.keySet());
        return u;
    }

    /**
     * A crash that cut a record off mid-page (PostgreSQL 15 and later): recovery writes on at the page that would have
     * continued it, flagged XLP_FIRST_IS_OVERWRITE_CONTRECORD, with a record that links back to the last complete one.
     * Made from a real segment: a page that continues a record begun on the page before gets that flag and, in place
     * of the rest, a switch record linking back to the record before the cut one. PostgreSQL reads on there; so must
     * the reader, rather than call the segment damaged.
     */
    private static void aRecordCutOffByACrashIsPassedOverWhereRecoveryWroteOn(Path file) throws Exception {
        byte[] original = Files.readAllBytes(file);
        SegmentName name = SegmentName.parse(file.getFileName().toString(), original.length);
        ByteBuffer b = ByteBuffer.wrap(original).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int page = 8192;
        int cut = -1;
        for (int p = 2; p < original.length / page; p++) {
            boolean continues = (b.getShort(p * page + 2) & 0x0001) != 0;
            boolean before = (b.getShort((p - 1) * page + 2) & 0x0001) != 0;
            long beforeRem = Integer.toUnsignedLong(b.getInt((p - 1) * page + 16));
            // the record cut off began on the page before
            if (continues && (!before || beforeRem < page - 64)) {
                cut = p * page;
                break;
            }
        }
        assertTrue(cut > 0, "no page of " + name + " continues a record begun on the page before");

        byte[] zeroed = original.clone();
        java.util.Arrays.fill(zeroed, cut, cut + page, (byte) 0);
        WalRecords.Result upToCut = WalRecords.read(name, ByteBuffer.wrap(zeroed), null);
        assertTrue(upToCut.damaged(), String.valueOf(upToCut.stoppedBecause()));
        Lsn lastComplete = upToCut.lastRecord();

        byte[] overwritten = original.clone();
        ByteBuffer o = ByteBuffer.wrap(overwritten).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        o.putShort(cut + 2, (short) 0x0008);
        o.putInt(cut + 16, 0);
        int rec = cut + 24;
        o.putInt(rec, 24);
        o.putInt(rec + 4, 0);
        o.putLong(rec + 8, lastComplete.value());
        overwritten[rec + 16] = 0x40; // XLOG_SWITCH
        overwritten[rec + 17] = 0; // RM_XLOG
        overwritten[rec + 18] = 0;
        overwritten[rec + 19] = 0;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(overwritten, rec, 20);
        o.putInt(rec + 20, (int) crc.getValue());

        WalRecords.Result r = WalRecords.read(name, ByteBuffer.wrap(overwritten), null);
        assertFalse(r.damaged(), String.valueOf(r.stoppedBecause()));
        assertTrue(r.switched(), r.toString());
        assertEquals(new Lsn(name.startLsn().value() + rec), r.lastRecord());
        // linked to any other record, it is damage
        o.putLong(rec + 8, lastComplete.value() - 8);
        crc.reset();
        crc.update(overwritten, rec, 20);
        o.putInt(rec + 20, (int) crc.getValue());
        assertTrue(WalRecords.read(name, ByteBuffer.wrap(overwritten), null).damaged());
    }

    private static void pgbench(int port, String... args) {
        List<String> cmd = new ArrayList<>(
                List.of(TOOLS.path("pgbench"), "-h", "127.0.0.1", "-p", "" + port, "-U", "postgres", "-q"));
        cmd.addAll(List.of(args));
        cmd.add("postgres");
        if (args[0].equals("-T")) {
            cmd.remove("-q");
        }
        Processes.Result r = Processes.run(cmd);
        assertEquals(0, r.exitCode(), r.output());
    }

    /** Commit/abort times and restore points as pg_waldump prints them, by LSN. */
    private static Map<String, String> waldump(Path walDir, String first, String last) {
        Processes.Result r = Processes.run(
                List.of(TOOLS.path("pg_waldump"), "-p", walDir.toString(), first, last), Map.of("TZ", "UTC"));
        Map<String, String> out = new TreeMap<>();
        for (String line : r.output().lines().toList()) {
            Matcher m = LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            String rmgr = m.group(1);
            String desc = m.group(4);
            String rest = m.group(5);
            String lsn = Lsn.parse(m.group(3)).toString();
            if (rmgr.equals("Transaction") && (desc.equals("COMMIT") || desc.equals("ABORT"))) {
                LocalDateTime t = LocalDateTime.parse(rest.substring(0, 26), PG_TIME);
                out.put(lsn, desc + " " + m.group(2) + " " + t.toInstant(ZoneOffset.UTC));
            } else if (rmgr.equals("XLOG") && desc.equals("RESTORE_POINT")) {
                out.put(lsn, "RESTORE_POINT " + rest.strip());
            }
        }
        assertFalse(
                out.isEmpty(),
                "pg_waldump printed nothing usable:\n"
                        + r.output().lines().limit(20).toList());
        return out;
    }
}
