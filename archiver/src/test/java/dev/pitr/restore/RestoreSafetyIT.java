package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.cli.Cli;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.Processes;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Restores that must fail loudly or hold exactly the rows the target asks for, however the archive or the host
 * misbehaves: an archive whose segments lost their time index, a restore_command whose JVM cannot start, a planned
 * segment gone from storage, and target directories whose names a shell would act on. Each damage is done to a copy
 * of the repository, never to the archive the other tests read.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestoreSafetyIT {

    ArchiveFixture fx;
    Instant betweenBatches;

    @BeforeAll
    void archiveAPrimary() throws Exception {
        fx = new ArchiveFixture("safety");
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 50, "early");
        fx.ok("snapshot", "create", "--label", "safety");
        ArchiveFixture.insertMarkers(fx.primary, 51, 100, "kept");
        // a segment boundary between the batches, so that the later batch is in segments of its own
        fx.primary.execute("SELECT pg_switch_wal()");
        Thread.sleep(300);
        betweenBatches = Instant.now();
        Thread.sleep(300);
        ArchiveFixture.insertMarkers(fx.primary, 101, 150, "late");
        fx.switchAndAwaitArchived();
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    /** A copy of the repository as {@code cp -a} makes it, for one test to damage. */
    private Path copyOfRepository(String name) {
        Path copy = fx.base.resolve(name);
        Processes.Result r =
                Processes.run(List.of("cp", "-a", fx.base.resolve("repo").toString(), copy.toString()));
        assertTrue(r.ok(), r.output());
        return copy;
    }

    private String rows(Path dir, int port) {
        return fx.restoredServer(dir, port).queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker");
    }

    /** Restores to the time between the batches with {@code env}, which must succeed; the restored marker rows. */
    private String restoreBetweenBatches(Map<String, String> env) {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        Cli.Run r = fx.cliWithEnv(
                env, "restore", "--to", betweenBatches.toString(), "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals(0, r.exitCode(), r.toString());
        return rows(dir, port);
    }

    private static boolean running(Path dir) {
        return Files.exists(dir.resolve("postmaster.pid"));
    }

    /**
     * A repository copied without its metadata ({@code cp -r repo/*} skips {@code .meta/}) and rebuilt has segments
     * without a time index: the time is still the target, never widened to the latest point.
     */
    @Test
    void aTimeTargetOverSegmentsWithoutTheirIndexKeepsExactlyTheRowsCommittedByThen() throws Exception {
        Path copy = copyOfRepository("repo-without-meta");
        Processes.run(List.of("rm", "-rf", copy.resolve(".meta").toString()));
        Map<String, String> env = Map.of(
                "PITR_STORAGE_PATH",
                copy.toString(),
                "PITR_CATALOG_PATH",
                fx.base.resolve("rebuilt.db").toString());
        Cli.Run rebuilt = fx.cliWithEnv(env, "catalog", "rebuild");
        assertEquals(0, rebuilt.exitCode(), rebuilt.toString());
        Cli.Run plan = fx.cliWithEnv(env, "restore", "--to", betweenBatches.toString(), "--dry-run");
        assertEquals(0, plan.exitCode(), plan.toString());
        assertTrue(plan.out().contains("recovery_target_time"), plan.toString());
        assertFalse(plan.out().contains("ended after the target"), plan.toString());
        assertEquals("100:1-100", restoreBetweenBatches(env));
    }

    /**
     * A rebuild goes on past an object it cannot record, lists it with its reason and exits non-zero; a segment whose
     * metadata is unreadable is read instead. What it rebuilt restores exactly.
     */
    @Test
    void catalogRebuildGoesOnPastABadObjectAndWhatItRebuiltRestores() throws Exception {
        Path copy = copyOfRepository("repo-damaged-objects");
        Path meta;
        try (Stream<Path> s = Files.walk(copy.resolve(".meta/wal"))) {
            meta = s.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}\\.zst\\.properties"))
                    .sorted()
                    .toList()
                    .get(1);
        }
        Files.writeString(meta, Files.readString(meta).replaceAll("pitr-plain-size=\\d+", "pitr-plain-size=abc"));
        Path planted = Files.createDirectories(copy.resolve("snapshots/20991231T000000Z"))
                .resolve("manifest.json");
        Files.writeString(planted, "{not json");
        Map<String, String> env = Map.of(
                "PITR_STORAGE_PATH",
                copy.toString(),
                "PITR_CATALOG_PATH",
                fx.base.resolve("rebuilt-damaged.db").toString());
        Cli.Run rebuilt = fx.cliWithEnv(env, "catalog", "rebuild");
        assertEquals(142, rebuilt.exitCode(), rebuilt.toString());
        assertTrue(rebuilt.err().contains("1 objects could not be recorded"), rebuilt.toString());
        assertTrue(
                rebuilt.out().contains("not recorded: snapshots/20991231T000000Z/manifest.json"), rebuilt.toString());
        assertTrue(rebuilt.out().contains("is unreadable"), rebuilt.toString());
        assertFalse(rebuilt.err().contains("at dev.pitr"), rebuilt.toString());
        assertEquals("100:1-100", restoreBetweenBatches(env));
    }

    /**
     * restore_command's JVM failing to start (exit 1, as java does when it cannot reserve its heap) aborts recovery
     * instead of passing for the end of the archive; the restore fails, and no server is left running.
     */
    @Test
    void aRestoreCommandThatCannotStartAbortsRecoveryAndTheRestoreFails() throws Exception {
        Path wrapper = fx.base.resolve("jvm-fails-after-two.sh");
        Path count = fx.base.resolve("fetches");
        Files.writeString(
                wrapper,
                "#!/bin/sh\n"
                        + "for a; do case \"$a\" in 0000000[0-9A-F]*[0-9A-F]) echo \"$a\" >> " + count
                        + ";; esac; done\n"
                        + "if [ \"$(wc -l < " + count
                        + ")\" -gt 2 ]; then echo 'Error: could not reserve the heap' >&2; exit 1; fi\n"
                        + "exec " + RestoreSteps.pitrCommand(fx.base.resolve("pitr.jar")) + " \"$@\"\n");
        Files.writeString(count, "");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(count, PosixFilePermissions.fromString("rw-rw-rw-"));
        Map<String, String> env =
                Map.of("PITR_RESTORE_PITR_COMMAND", wrapper.toString(), "PITR_RESTORE_PREFETCH_MB", "0");
        Path dir = fx.newTargetDir();
        Cli.Run r = fx.cliWithEnv(
                env, "restore", "--latest", "--target-dir", dir.toString(), "--port", "" + LocalCluster.freePort());
        assertEquals(14, r.exitCode(), r.toString());
        assertFalse(running(dir), r.toString());
        String log = Files.readString(dir.resolve(RestoreSteps.RESTORE_LOG));
        assertTrue(log.contains("exit code 146") && !log.contains("redo done"), log);
    }

    /**
     * An Error inside wal fetch (here zstd's native library cannot be unpacked into a missing temporary directory) exits
     * above 125, never 1, which PostgreSQL would read as the end of the archive.
     */
    @Test
    void anErrorInWalFetchExitsAbove125() throws Exception {
        String segment;
        try (var repo = fx.repository()) {
            segment = repo.catalog().allSegments().get(0).name().fileName();
        }
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=/nonexistent",
                "-Dorg.sqlite.tmpdir=" + fx.base,
                "-jar",
                fx.base.resolve("pitr.jar").toString(),
                "--config",
                fx.configFile.toString(),
                "wal",
                "fetch",
                segment,
                fx.base.resolve("fetched-with-no-tmp").toString()));
        Processes.Result r = Processes.run(cmd);
        assertEquals(150, r.exitCode(), r.output());
        assertTrue(r.output().contains("error (internal)"), r.output());
        assertFalse(Files.exists(fx.base.resolve("fetched-with-no-tmp")));
    }

    /** A planned segment gone from storage aborts recovery (the catalog says it exists), and the restore fails. */
    @Test
    void aMissingPlannedSegmentAbortsRecoveryAndTheRestoreFails() throws Exception {
        Path copy = copyOfRepository("repo-missing-segment");
        List<Path> segments;
        try (Stream<Path> s = Files.walk(copy.resolve("wal"))) {
            segments = s.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}\\.zst"))
                    .sorted()
                    .toList();
        }
        assertTrue(segments.size() >= 4, segments.toString());
        Path missing = segments.get(segments.size() - 2);
        Files.delete(missing);
        Path dir = fx.newTargetDir();
        Cli.Run r = fx.cliWithEnv(
                Map.of("PITR_STORAGE_PATH", copy.toString()),
                "restore",
                "--latest",
                "--target-dir",
                dir.toString(),
                "--port",
                "" + LocalCluster.freePort());
        assertEquals(14, r.exitCode(), r.toString());
        assertTrue(r.err().contains(missing.getFileName().toString().replace(".zst", "")), r.toString());
        assertFalse(running(dir), r.toString());
    }

    /** A restore whose server came up in the wrong state stops it, and says so, rather than leave it taking writes. */
    @Test
    void aFailedVerificationStopsTheServerItStarted() throws Exception {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok("restore", "--latest", "--target-dir", dir.toString(), "--port", "" + port);
        assertTrue(running(dir));
        RestoreRequest req = RestoreRequest.of(new RestoreTarget.Latest(), dir, port, RestoreRequest.Action.PROMOTE);
        try (var repo = fx.repository()) {
            RestoreSteps steps = new RestoreSteps(
                    fx.config(), repo, fx.tools, Clock.systemUTC(), new PrintWriter(Writer.nullWriter()));
            // the server says recovery ended earlier than the plan needed it to
            PitrException e = assertThrows(
                    PitrException.class,
                    () -> steps.verify(
                            req,
                            false,
                            Lsn.parse("FF/0"),
                            new RestoreSteps.Replayed(null, Lsn.parse("0/3000000"), null, TimelineId.of(2))));
            assertEquals(ErrorCode.RESTORE_FAILED, e.code());
            assertTrue(e.getMessage().contains("the restored server was stopped"), e.getMessage());
        }
        assertFalse(running(dir));
    }

    /**
     * A base backup of a server pitr restored holds what that restore left in its data directory (a paused one: its
     * log, restore_command's settings and keys). Laid down again, none of it comes back, and the backup still verifies.
     */
    @Test
    void aSnapshotOfARestoredServerIsLaidDownWithoutWhatItsRestoreLeft() throws Exception {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok(
                "restore",
                "--to",
                betweenBatches.toString(),
                "--action",
                "pause",
                "--target-dir",
                dir.toString(),
                "--port",
                "" + port);
        assertTrue(Files.exists(dir.resolve(RestoreSteps.FETCH_CONFIG))
                && Files.exists(dir.resolve(RestoreSteps.RESTORE_LOG)));
        Path tar = fx.base.resolve("of-restored.tar");
        Processes.Result backup = Processes.run(List.of(
                "sh",
                "-c",
                fx.tools.path("pg_basebackup") + " -h 127.0.0.1 -p " + port
                        + " -U postgres -D - -F t -X none --checkpoint=fast > " + tar));
        assertTrue(backup.ok(), backup.output());
        Path again = fx.newTargetDir();
        RestoreRequest req = RestoreRequest.of(
                new RestoreTarget.Latest(), again, LocalCluster.freePort(), RestoreRequest.Action.PROMOTE);
        try (var repo = fx.repository();
                var in = Files.newInputStream(tar)) {
            RestoreSteps steps = new RestoreSteps(
                    fx.config(), repo, fx.tools, Clock.systemUTC(), new PrintWriter(Writer.nullWriter()));
            steps.prepareTarget(req);
            assertTrue(TarExtractor.extract(in, again, RestoreSteps.RESTORE_ARTIFACTS) > 100);
            steps.verifyAgainstManifest(again);
        }
        assertFalse(Files.exists(again.resolve(RestoreSteps.FETCH_CONFIG)));
        assertFalse(Files.exists(again.resolve(RestoreSteps.KEY_DIR)));
        assertEquals("", Files.readString(again.resolve(RestoreSteps.RESTORE_LOG)));
    }

    /** A target directory that fills up while the snapshot is laid down is a local failure, not a damaged snapshot. */
    @Test
    void aFullDiskWhileLayingTheSnapshotDownIsLocalIoNotCorruption() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(OsUser.isRoot(), "mounting a small tmpfs needs root");
        Path dir = Files.createDirectories(fx.newTargetDir());
        Processes.Result m =
                Processes.run(List.of("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", dir.toString()));
        assertTrue(m.ok(), m.output());
        try {
            Cli.Run r = fx.cli(
                    "restore", "--latest", "--target-dir", dir.toString(), "--port", "" + LocalCluster.freePort());
            assertEquals(144, r.exitCode(), r.toString());
            assertTrue(r.err().contains("free space"), r.toString());
        } finally {
            Processes.run(List.of("umount", "-l", dir.toString()));
        }
    }

    /** A target directory with a space and a quote is one word everywhere pitr and pg_ctl put it. */
    @Test
    void aTargetDirectoryWithASpaceAndAQuoteRestoresExactly() throws Exception {
        Path dir = Files.createDirectories(fx.newTargetDir()).resolve("it's restored here");
        if (OsUser.isRoot()) {
            Files.setPosixFilePermissions(dir.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        int port = LocalCluster.freePort();
        try {
            fx.ok("restore", "--to", betweenBatches.toString(), "--target-dir", dir.toString(), "--port", "" + port);
            assertEquals("100:1-100", rows(dir, port));
        } finally {
            if (running(dir)) {
                Processes.run(fx.tools.asPostgres("pg_ctl", "-D", dir.toString(), "-m", "immediate", "-w", "stop"));
            }
        }
    }

    /** A name a shell would act on inside pg_ctl's double quotes is refused before anything is written. */
    @Test
    void aTargetDirectoryNameAShellWouldRunIsRefused() throws Exception {
        Path base = Files.createDirectories(fx.newTargetDir());
        Path dir = base.resolve("x'$(touch owned)'");
        Cli.Run r = fx.cli("restore", "--latest", "--target-dir", dir.toString());
        assertEquals(2, r.exitCode(), r.toString());
        assertFalse(Files.exists(dir));
        try (Stream<Path> s = Files.walk(fx.base)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().equals("owned")));
        }
    }
}
