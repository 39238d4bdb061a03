package dev.pitr.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.SnapshotParts;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.config.Repository;
import dev.pitr.postgres.Processes;
import dev.pitr.wal.Lsn;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A full snapshot compressed by a real PostgreSQL 15 ({@code snapshot.compression: auto}, the default, chooses it
 * there): stored as one object, with a {@code backup_manifest} pitr wrote that lists what the server's own lists and
 * that {@code pg_verifybackup} accepts for the files laid down, and refuses once one changed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerCompressedIT {

    ArchiveFixture fx;
    SnapshotRecord snap;
    Path theirs;

    @BeforeAll
    void snapshot() throws Exception {
        fx = new ArchiveFixture("server-compressed");
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute(
                "CREATE TABLE t AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 20000) g");
        fx.primary.execute("CREATE DATABASE other");
        var r = fx.ok("snapshot", "create", "--label", "server");
        assertTrue(r.err().contains("compressed on the server"), r.toString());
        try (Repository repo = fx.repository()) {
            snap = repo.catalog().snapshots().get(0);
        }
        // the server's own manifest, of a backup of the same cluster taken right after
        theirs = fx.base.resolve("theirs");
        List<String> cmd = new ArrayList<>(List.of(fx.tools.path("pg_basebackup")));
        cmd.addAll(fx.primary.primary().clientArgs());
        cmd.addAll(List.of("-D", theirs.toString(), "-F", "t", "-X", "none", "--compress=server-zstd"));
        Processes.Result made = Processes.run(cmd, fx.primary.primary().clientEnv());
        assertTrue(made.ok(), made.output());
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void theSnapshotIsOneObjectAndItsRecordEndsAtASegmentBoundaryAfterTheBackup() {
        assertFalse(SnapshotParts.isIndex(snap.storageKey()), snap.storageKey());
        assertTrue(snap.storageKey().endsWith(".tar.zst"), snap.storageKey());
        assertEquals(SnapshotRecord.Status.COMPLETE, snap.status());
        assertEquals(0, snap.stopLsn().value() % (16L << 20), snap.stopLsn().toString());
        assertTrue(snap.stopLsn().compareTo(snap.startLsn()) > 0);
    }

    @Test
    void theManifestListsWhatTheServersOwnListsAndPgVerifybackupAcceptsIt() throws Exception {
        Path laid = fx.base.resolve("laid");
        Files.createDirectories(laid);
        Path ours = fx.base.resolve("ours.manifest");
        try (Repository repo = fx.repository()) {
            Files.write(ours, snap.backupManifest().read(repo.codec(), repo.storage(), snap.keyId() != null));
            Process tar = new ProcessBuilder("tar", "-x", "-C", laid.toString())
                    .redirectErrorStream(true)
                    .start();
            try (InputStream plain = repo.codec().open(repo.storage(), snap.storageKey(), snap.keyId() != null);
                    OutputStream in = tar.getOutputStream()) {
                plain.transferTo(in);
            }
            assertEquals(
                    0,
                    tar.waitFor(),
                    new String(tar.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        assertEquals(paths(theirs.resolve("backup_manifest")), paths(ours));

        Processes.Result ok =
                Processes.run(List.of(fx.tools.path("pg_verifybackup"), "-n", "-m", ours.toString(), laid.toString()));
        assertTrue(ok.ok(), ok.output());
        Path changed = laid.resolve("PG_VERSION");
        Files.writeString(changed, "14\n");
        Processes.Result refused =
                Processes.run(List.of(fx.tools.path("pg_verifybackup"), "-n", "-m", ours.toString(), laid.toString()));
        assertFalse(refused.ok(), refused.output());
        assertTrue(refused.output().contains("PG_VERSION"), refused.output());
    }

    private static Set<String> paths(Path manifest) throws Exception {
        Set<String> s = new TreeSet<>();
        JsonNode root = new ObjectMapper().readTree(manifest.toFile());
        for (JsonNode f : root.get("Files")) {
            s.add(f.get("Path").asText());
        }
        return s;
    }

    @Test
    void restoresFromItHoldExactlyTheRowsUpToTheTargetAlsoAsADeltaAndWithPgVerifybackup() throws Exception {
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 50, "kept");
        Lsn kept = Lsn.parse(fx.primary.queryOne("SELECT pg_current_wal_insert_lsn()"));
        ArchiveFixture.insertMarkers(fx.primary, 51, 100, "late");
        fx.switchAndAwaitArchived();
        assertEquals("50:1-50", fx.restoreMarkers("--lsn", kept.toString()));

        // the restore of the snapshot alone, stopped, then a delta onto it: the manifest the tar lacks is laid down
        Path dir = fx.newTargetDir();
        int port = dev.pitr.postgres.LocalCluster.freePort();
        fx.ok("restore", "--immediate", "--target-dir", dir.toString(), "--port", "" + port);
        assertTrue(Files.isRegularFile(dir.resolve("backup_manifest")));
        fx.restoredServer(dir, port).stop();
        port = dev.pitr.postgres.LocalCluster.freePort();
        var delta = fx.ok("restore", "--latest", "--delta", "--target-dir", dir.toString(), "--port", "" + port);
        assertTrue(delta.err().contains("kept"), delta.toString());
        assertEquals(
                "100:1-100",
                fx.restoredServer(dir, port)
                        .queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker"));

        // pg_verifybackup's second read, asked for, reads the manifest pitr wrote
        var checked = fx.cliWithEnv(
                java.util.Map.of("PITR_RESTORE_PG_VERIFYBACKUP", "true"),
                "restore",
                "--lsn",
                kept.toString(),
                "--target-dir",
                fx.newTargetDir().toString(),
                "--port",
                "" + dev.pitr.postgres.LocalCluster.freePort());
        assertEquals(0, checked.exitCode(), checked.toString());
        assertTrue(checked.err().contains("pg_verifybackup"), checked.toString());
    }
}
