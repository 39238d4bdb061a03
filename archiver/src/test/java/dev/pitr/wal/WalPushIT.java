package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.Processes;
import dev.pitr.restore.RestoreSteps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * archive_command mode on a real primary with the archive_command the README gives: while WAL arrives faster than one
 * pitr process per segment could ship it, each pitr run pushes the ready files ahead and PostgreSQL's later calls for
 * them are answered from their receipts, so every segment is archived with far fewer pitr runs than segments. A base
 * backup's history file and, after a failover to a standby with the same archive_command, the old timeline's
 * {@code .partial} are kept, and archiving goes on past both.
 */
class WalPushIT {

    static ArchiveFixture fx;

    @BeforeAll
    static void setUp() {
        fx = new ArchiveFixture("push");
    }

    @AfterAll
    static void tearDown() throws Exception {
        fx.close();
    }

    @Test
    void aBurstOfWalIsArchivedWithFewerPitrRunsThanSegments() throws Exception {
        // PostgreSQL runs archive_command as its own OS user: the repository is that user's
        Path archive = Files.createDirectories(fx.base.resolve("push-archive"));
        Path runs = archive.resolve("pitr-runs.log");
        Path pitr = archive.resolve("pitr.sh");
        Files.writeString(
                pitr,
                "#!/bin/sh\necho \"$5\" >> " + runs + "\n"
                        + "export PITR_STORAGE_PATH=" + archive.resolve("repo") + " PITR_CATALOG_PATH="
                        + archive.resolve("catalog.db")
                        + "\nexec " + RestoreSteps.pitrCommand(fx.base.resolve("pitr.jar")) + " \"$@\"\n");
        Files.setPosixFilePermissions(pitr, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (OsUser.isRoot()) {
            assertEquals(
                    0,
                    Processes.run(List.of("chown", "-R", fx.tools.osUser() + ":", archive.toString()))
                            .exitCode());
        }
        Processes.Result init = Processes.run(OsUser.as(
                fx.tools.osUser(), List.of(pitr.toString(), "--config", fx.configFile.toString(), "init", "--create")));
        assertEquals(0, init.exitCode(), init.output());
        Files.deleteIfExists(runs);
        String command = WalShipper.archiveCommand(pitr + " --config " + fx.configFile);
        fx.primary.execute("ALTER SYSTEM SET archive_mode = on");
        fx.primary.execute("ALTER SYSTEM SET archive_command = '" + command.replace("'", "''") + "'");
        fx.primary.stop();
        fx.primary.start();

        String first = fx.primary.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
        fx.primary.execute("CREATE TABLE t (id bigint, pad text)");
        for (int batch = 0; batch < 6; batch++) {
            fx.primary.execute("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 400000) g");
        }
        String last = archivedToTheEnd();

        long segments = SegmentName.parse(last, 16L << 20).segno()
                - SegmentName.parse(first, 16L << 20).segno()
                + 1;
        try (SqliteCatalog c = SqliteCatalog.openReadOnly(archive.resolve("catalog.db"))) {
            SegmentName s = SegmentName.parse(first, 16L << 20);
            for (int i = 0; i < segments; i++, s = s.next()) {
                SegmentRecord r = c.segment(s.walFileName()).orElseThrow(() -> new AssertionError("not archived"));
                assertEquals(16L << 20, r.plainSize());
            }
        }
        long pitrRuns = Files.readAllLines(runs).size();
        assertTrue(segments >= 10, segments + " segments");
        assertTrue(pitrRuns < segments, pitrRuns + " pitr runs for " + segments + " segments");
        try (Stream<Path> left =
                Files.list(fx.primary.dataDir().resolve("pg_wal").resolve(WalShipper.RECEIPTS))) {
            assertEquals(List.of(), left.toList(), "every receipt was taken by PostgreSQL's call for its file");
        }

        // a base backup ends with a backup history file, which PostgreSQL hands archive_command as it hands segments,
        // and retries for ever when that fails, archiving nothing after it meanwhile; the backup itself (a snapshot's
        // pg_basebackup too) ends only once that file is archived
        String backupHistory;
        try (Connection c = fx.primary.connect();
                Statement st = c.createStatement()) {
            st.execute("SET statement_timeout = '120s'");
            try (ResultSet rs = st.executeQuery(
                    fx.major >= 15
                            ? "SELECT pg_walfile_name(pg_backup_start('push', true))"
                            : "SELECT pg_walfile_name(pg_start_backup('push', true, false))")) {
                rs.next();
                backupHistory = rs.getString(1);
            }
            st.execute(fx.major >= 15 ? "SELECT pg_backup_stop()" : "SELECT pg_stop_backup(false)");
        }
        fx.primary.execute("INSERT INTO t SELECT g, repeat('y', 200) FROM generate_series(1, 100000) g");
        archivedToTheEnd();
        try (Stream<Path> kept = Files.list(archive.resolve("repo/wal").resolve(backupHistory.substring(0, 16)))) {
            assertEquals(
                    1,
                    kept.filter(f -> f.getFileName().toString().startsWith(backupHistory + ".")
                                    && f.getFileName().toString().endsWith(".backup.zst"))
                            .count(),
                    "the backup history file is kept");
        }
        try (Stream<Path> left =
                Files.list(fx.primary.dataDir().resolve("pg_wal").resolve(WalShipper.RECEIPTS))) {
            assertEquals(List.of(), left.toList(), "every receipt was taken, the backup history file's too");
        }

        aPromotedStandbyArchivesOn(archive);
    }

    /**
     * A failover under archive_command mode: a standby of the primary (its archive_command inherited, {@code
     * archive_mode = on}) is promoted once the primary is gone. It hands archive_command the old timeline's last
     * segment renamed {@code .partial}, the new timeline's history file and its segments; the {@code .partial} is kept
     * as it is, and archiving goes on past it on the new timeline.
     */
    private static void aPromotedStandbyArchivesOn(Path archive) throws Exception {
        LocalCluster standby = LocalCluster.standbyOf(
                fx.tools, fx.primary, fx.base.resolve("push-standby"), LocalCluster.freePort(), "push_standby");
        try {
            standby.start();
            // part of a segment the primary never completes: promotion renames it .partial
            fx.primary.execute("INSERT INTO t SELECT g, repeat('z', 200) FROM generate_series(1, 20000) g");
            String written = fx.primary.queryOne("SELECT pg_current_wal_lsn()");
            for (int i = 0;
                    i < 600
                            && !standby.queryOne("SELECT pg_last_wal_replay_lsn() >= '" + written + "'::pg_lsn")
                                    .equals("t");
                    i++) {
                Thread.sleep(100);
            }
            assertEquals("t", standby.queryOne("SELECT pg_last_wal_replay_lsn() >= '" + written + "'::pg_lsn"));
            fx.primary.stop();
            standby.promote();
            standby.execute("INSERT INTO t SELECT g, repeat('w', 200) FROM generate_series(1, 20000) g");
            String newLast = standby.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
            assertTrue(newLast.startsWith("00000002"), newLast);
            // the primary switched segments as it shut down (archiving is on): the .partial is the segment of timeline
            // 1 that holds its last byte, where timeline 2 begins
            String switchedAt = standby.queryOne("SELECT pg_read_file('pg_wal/00000002.history')")
                    .lines()
                    .filter(l -> l.startsWith("1\t"))
                    .findFirst()
                    .orElseThrow()
                    .split("\t", -1)[1];
            String oldLast = SegmentName.containing(
                            TimelineId.of(1), new Lsn(Lsn.parse(switchedAt).value() - 1), 16L << 20)
                    .fileName();
            standby.queryOne("SELECT pg_switch_wal()");
            for (int i = 0;
                    i < 1200
                            && !standby.queryOne("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
                                    .equals(newLast);
                    i++) {
                Thread.sleep(100);
            }
            assertEquals(
                    newLast,
                    standby.queryOne("SELECT last_archived_wal FROM pg_stat_archiver"),
                    "the new timeline archived past the .partial");
            assertEquals("0", standby.queryOne("SELECT failed_count FROM pg_stat_archiver"));
            Path walDir = archive.resolve("repo/wal").resolve(oldLast.substring(0, 16));
            try (Stream<Path> kept = Files.list(walDir)) {
                List<String> names =
                        kept.map(f -> f.getFileName().toString()).sorted().toList();
                assertTrue(names.contains(oldLast + ".partial.zst"), oldLast + ".partial is kept: " + names);
            }
            try (SqliteCatalog c = SqliteCatalog.openReadOnly(archive.resolve("catalog.db"))) {
                assertTrue(c.history(TimelineId.of(2)).isPresent(), "the new timeline's history");
                assertTrue(c.segment(SegmentName.parse(newLast, 16L << 20).walFileName())
                        .isPresent());
            }
            try (Stream<Path> left =
                    Files.list(standby.dataDir().resolve("pg_wal").resolve(WalShipper.RECEIPTS))) {
                assertEquals(List.of(), left.toList(), "every receipt was taken on the promoted standby");
            }
        } finally {
            standby.stop();
        }
    }

    /** Switches to a new segment and waits until the one before it is archived, with no failed call on the way. */
    private static String archivedToTheEnd() throws InterruptedException {
        String last = fx.primary.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
        fx.primary.queryOne("SELECT pg_switch_wal()");
        for (int i = 0;
                i < 1800
                        && !fx.primary
                                .queryOne("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
                                .equals(last);
                i++) {
            Thread.sleep(100);
        }
        assertEquals(
                last, fx.primary.queryOne("SELECT last_archived_wal FROM pg_stat_archiver"), "archived to the end");
        assertEquals("0", fx.primary.queryOne("SELECT failed_count FROM pg_stat_archiver"));
        return last;
    }
}
