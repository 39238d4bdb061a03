package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.cli.Cli;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Restores through a chain of a full and three block-level incrementals of a real server: between the links rows are
 * committed, a table is updated in place, one is dropped, one is rewritten (new files), and a database is created by
 * copying its template's files (pages with old LSNs in files the parent lacks). The updated table's file is larger than
 * what an incremental turns into its block-level form in memory. A restore to a time after the third
 * incremental must hold exactly the rows committed by then, and every table as it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IncrementalRestoreIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.LOCAL;
    }

    int major() {
        return dev.pitr.postgres.PostgresServers.defaultMajor();
    }

    /** The kind of incremental the server takes: "native" where summarize_wal is on. */
    String kind() {
        return "block";
    }

    ArchiveFixture fx;
    String older;
    final List<String> chain = new ArrayList<>();
    Instant afterThird;
    String ballastAtTarget;

    @BeforeAll
    void archiveAChain() throws Exception {
        fx = new ArchiveFixture("incremental-pg" + major(), backend(), ArchiveFixture.Encryption.NONE, major());
        // parts of 1 MiB: every snapshot is stored in many, and a delta restore passes over those it holds
        fx.smallSnapshotParts();
        fx.primary.execute("ALTER SYSTEM SET wal_log_hints = on");
        fx.primary.execute("ALTER SYSTEM SET autovacuum = off");
        if (kind().equals("native")) {
            fx.primary.execute("ALTER SYSTEM SET summarize_wal = on");
        }
        fx.primary.stop();
        fx.primary.start();
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        fx.primary.execute("CREATE TABLE ballast AS SELECT g AS id, g AS n, repeat('x', 200) AS pad"
                + " FROM generate_series(1, 150000) g");
        // set every hint bit now: the first scan after a bulk load changes every page, as it would on any server
        fx.primary.execute("VACUUM (FREEZE) ballast");
        fx.primary.execute("CREATE TABLE dropme AS SELECT g FROM generate_series(1, 1000) g");
        older = snapshot("--full");
        ArchiveFixture.insertMarkers(fx.primary, 1, 50, "before-full");
        chain.add(snapshot("--full"));

        ArchiveFixture.insertMarkers(fx.primary, 51, 100, "before-first");
        fx.primary.execute("UPDATE ballast SET n = n + 1 WHERE id <= 600");
        fx.primary.execute("CHECKPOINT");
        chain.add(snapshot("--incremental"));

        ArchiveFixture.insertMarkers(fx.primary, 101, 150, "before-second");
        fx.primary.execute("DROP TABLE dropme");
        fx.primary.execute("CREATE DATABASE copied TEMPLATE template1" + (major() >= 15 ? " STRATEGY file_copy" : ""));
        chain.add(snapshot("--incremental"));

        ArchiveFixture.insertMarkers(fx.primary, 151, 200, "before-third");
        fx.primary.execute("UPDATE ballast SET n = n + 10 WHERE id > 149000");
        fx.primary.execute("VACUUM FULL marker");
        chain.add(snapshot("--incremental"));

        ArchiveFixture.insertMarkers(fx.primary, 201, 250, "after-third");
        ballastAtTarget = ballast(fx.primary);
        Thread.sleep(300);
        afterThird = Instant.now();
        Thread.sleep(300);
        ArchiveFixture.insertMarkers(fx.primary, 251, 300, "late");
        fx.primary.execute("UPDATE ballast SET n = n + 100");
        fx.switchAndAwaitArchived();
    }

    private String snapshot(String kind) {
        Cli.Run r = fx.ok("snapshot", "create", kind);
        return r.out().strip();
    }

    private static String ballast(LocalCluster pg) {
        return pg.queryOne("SELECT count(*) || ':' || sum(n) FROM ballast");
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    @Order(1)
    void eachIncrementalStandsOnTheOneBeforeAndStoresLessThanTheFull() throws Exception {
        List<JsonNode> list = new ArrayList<>();
        JSON.readTree(fx.ok("snapshot", "list", "--json").out()).forEach(list::add);
        list.removeIf(s -> s.get("id").asText().equals(older));
        assertEquals(4, list.size(), list.toString());
        long full = 0;
        for (JsonNode s : list) {
            int at = chain.indexOf(s.get("id").asText());
            assertTrue(at >= 0, s.toString());
            if (at == 0) {
                assertEquals("full", s.get("lineage").asText());
                full = s.get("plain_size").asLong();
            } else {
                assertEquals(kind() + ":" + chain.get(at - 1), s.get("lineage").asText(), s.toString());
            }
        }
        for (JsonNode s : list) {
            System.out.println("snapshot " + s.get("id").asText() + " "
                    + s.get("lineage").asText() + ": " + s.get("plain_size").asLong() + " bytes, "
                    + s.get("stored_size").asLong() + " stored");
            if (!s.get("id").asText().equals(chain.get(0))) {
                assertTrue(s.get("plain_size").asLong() < full / 2, s + " against a full of " + full);
            }
        }
    }

    @Test
    @Order(2)
    void theDryRunShowsTheChain() throws Exception {
        Path dir = fx.newTargetDir();
        JsonNode plan = JSON.readTree(
                fx.ok("restore", "--to", afterThird.toString(), "--dry-run", "--json", "--target-dir", dir.toString())
                        .out());
        List<String> ids = new ArrayList<>();
        plan.get("chain").forEach(l -> ids.add(l.get("id").asText()));
        assertEquals(chain, ids);
        assertEquals(chain.get(3), plan.get("snapshot").get("id").asText());
        String text = fx.ok("restore", "--to", afterThird.toString(), "--dry-run", "--target-dir", dir.toString())
                .out();
        assertTrue(text.contains("3 incremental(s) on full " + chain.get(0)), text);
        assertFalse(Files.exists(dir));
    }

    @Test
    @Order(3)
    void aTimeAfterTheThirdIncrementalHoldsExactlyItsRows() {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        Cli.Run r =
                fx.ok("restore", "--to", afterThird.toString(), "--target-dir", dir.toString(), "--port", "" + port);
        assertTrue(r.err().contains("through its chain of 4"), r.toString());
        LocalCluster restored = fx.restoredServer(dir, port);
        assertEquals("250:1-250", restored.queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker"));
        assertEquals(ballastAtTarget, ballast(restored));
        assertEquals("f", restored.queryOne("SELECT to_regclass('dropme') IS NOT NULL"));
        assertEquals("1", restored.queryOne("SELECT count(*) FROM pg_database WHERE datname = 'copied'"));
        // every table of every database reads back: the copied database's files came whole
        assertEquals("t", restored.queryOne("SELECT count(*) > 0 FROM pg_class"));
        restored.stop();
    }

    @Test
    @Order(4)
    void latestReplaysEverythingArchived() {
        assertEquals("300:1-300", fx.restoreMarkers("--latest"));
    }

    @Test
    @Order(5)
    void aDamagedLinkFailsTheRestoreLoudly() throws Exception {
        Path snapshotDir = fx.base.resolve("repo/snapshots/" + chain.get(2));
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(snapshotDir), "local storage only");
        try (Stream<Path> s = Files.list(snapshotDir)) {
            assertTrue(
                    s.filter(p -> p.getFileName().toString().startsWith("base."))
                                    .count()
                            > 1,
                    "the snapshot is stored in parts");
        }
        // a part changed, the index changed, a part missing: each stops the restore before the server starts
        List<String> names;
        try (Stream<Path> s = Files.list(snapshotDir)) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        String index =
                names.stream().filter(n -> n.startsWith("parts.")).findFirst().orElseThrow();
        String part0 = names.stream()
                .filter(n -> n.matches("base\\..*\\.00000\\.tar\\.zst"))
                .findFirst()
                .orElseThrow();
        String part1 = names.stream()
                .filter(n -> n.matches("base\\..*\\.00001\\.tar\\.zst"))
                .findFirst()
                .orElseThrow();
        for (String name : List.of(part1, index, part0)) {
            Path object = snapshotDir.resolve(name);
            byte[] original = Files.readAllBytes(object);
            boolean remove = name.equals(part0);
            if (remove) {
                Files.delete(object);
            } else {
                byte[] tampered = original.clone();
                tampered[tampered.length / 2] ^= 0x55;
                Files.write(object, tampered);
            }
            try {
                Path dir = fx.newTargetDir();
                Cli.Run r = fx.cli(
                        "restore",
                        "--to",
                        afterThird.toString(),
                        "--target-dir",
                        dir.toString(),
                        "--port",
                        "" + LocalCluster.freePort());
                assertNotEquals(0, r.exitCode(), name + ": " + r);
                assertTrue(r.err().contains(chain.get(2)), name + ": " + r);
                assertFalse(Files.exists(dir.resolve("postmaster.pid")), name + ": " + r);
            } finally {
                Files.write(object, original);
            }
        }
    }

    @Test
    @Order(6)
    void aFailedParentMakesEverySnapshotAboveItUnusableWithAGapThatSaysWhy() throws Exception {
        SnapshotRecord first;
        try (Repository repo = Repository.open(fx.config(), false)) {
            first = repo.catalog().snapshot(new SnapshotId(chain.get(1))).orElseThrow();
            repo.catalog().updateSnapshot(first.withStatus(SnapshotRecord.Status.FAILED));
        }
        try {
            JsonNode tls =
                    JSON.readTree(fx.ok("restore-window", "--json").out()).get("timelines");
            String gaps = tls.toString();
            assertTrue(gaps.contains("broken") && gaps.contains(chain.get(2)) && gaps.contains(chain.get(3)), gaps);
            Path dir = fx.newTargetDir();
            JsonNode plan = JSON.readTree(fx.ok(
                            "restore",
                            "--to",
                            afterThird.toString(),
                            "--dry-run",
                            "--json",
                            "--target-dir",
                            dir.toString())
                    .out());
            assertEquals(chain.get(0), plan.get("snapshot").get("id").asText(), plan.toString());
            assertEquals("250:1-250", fx.restoreMarkers("--to", afterThird.toString()));
        } finally {
            try (Repository repo = Repository.open(fx.config(), false)) {
                repo.catalog().updateSnapshot(first);
            }
        }
    }

    @Test
    @Order(7)
    void statusShowsTheChainAndTheBytesEachKindStores() throws Exception {
        JsonNode st = JSON.readTree(fx.ok("status", "--json").out());
        JsonNode last = st.get("last_snapshot");
        assertEquals(chain.get(3), last.get("id").asText(), last.toString());
        assertEquals(kind() + ":" + chain.get(2), last.get("lineage").asText());
        assertEquals(3, last.get("chain_length").asInt());
        java.util.Map<String, Long> kinds = new java.util.HashMap<>();
        st.get("archive")
                .get("by_timeline_and_kind")
                .forEach(k -> kinds.put(k.get("kind").asText(), k.get("objects").asLong()));
        assertEquals(2L, kinds.get("snapshot"), kinds.toString());
        assertEquals(3L, kinds.get("snapshot-" + kind()), kinds.toString());
        String text = fx.ok("status").out();
        assertTrue(text.contains(kind() + " incremental, 3 on its full"), text);
    }

    @Test
    @Order(8)
    void aggressiveRetentionKeepsTheWholeChainAndEverySnapshotItKeepsRestores() throws Exception {
        Files.writeString(
                fx.configFile,
                Files.readString(fx.configFile)
                        + "retention:\n  daily: 1\n  weekly: 0\n  monthly: 0\n  min_window: 1s\n  grace: 0s\n");
        JsonNode report = JSON.readTree(fx.ok("retention", "apply", "--json").out());
        java.util.Set<String> kept = new java.util.HashSet<>();
        java.util.Set<String> expired = new java.util.HashSet<>();
        report.get("snapshots")
                .forEach(d -> (d.get("action").asText().equals("keep") ? kept : expired)
                        .add(d.get("id").asText()));
        assertEquals(new java.util.HashSet<>(chain), kept, report.toString());
        assertEquals(java.util.Set.of(older), expired, report.toString());
        int[] rows = {50, 100, 150, 200};
        for (int i = 0; i < chain.size(); i++) {
            assertEquals(
                    rows[i] + ":1-" + rows[i],
                    fx.restoreMarkers("--immediate", "--snapshot", chain.get(i)),
                    "snapshot " + chain.get(i));
        }
    }

    /** Restores {@code args} into a new directory and stops the restored server; returns the directory. */
    private Path restoredAndStopped(String... args) {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        List<String> all = new ArrayList<>(List.of("restore"));
        all.addAll(List.of(args));
        all.addAll(List.of("--target-dir", dir.toString(), "--port", "" + port));
        fx.ok(all.toArray(String[]::new));
        fx.restoredServer(dir, port).stop();
        return dir;
    }

    /** Every file under {@code dir} with its size and modification time: what "nothing touched" compares. */
    private static java.util.Map<String, String> listing(Path dir) throws Exception {
        java.util.Map<String, String> m = new java.util.TreeMap<>();
        try (var s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                m.put(
                        dir.relativize(p).toString(),
                        Files.isDirectory(p)
                                ? "dir"
                                : Files.size(p) + "@"
                                        + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return m;
    }

    @Test
    @Order(9)
    void aDeltaRestoreOntoTheRestoreOfTheLinkBeforeKeepsWhatMatchesAndIsExact() throws Exception {
        Path dir = restoredAndStopped("--immediate", "--snapshot", chain.get(2));
        // the table the third incremental changed, with a second name outside: that name must not change
        Path ballastFile = dir.resolve(fx.primary.queryOne("SELECT pg_relation_filepath('ballast')"));
        Path otherName = fx.base.resolve("ballast, hard-linked");
        Files.createLink(otherName, ballastFile);
        byte[] before = Files.readAllBytes(otherName);
        int port = LocalCluster.freePort();
        Cli.Run r = fx.ok(
                "restore",
                "--to",
                afterThird.toString(),
                "--delta",
                "--target-dir",
                dir.toString(),
                "--port",
                "" + port);
        if (kind().equals("block")) {
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("kept (\\d+) files").matcher(r.err());
            assertTrue(m.find() && Integer.parseInt(m.group(1)) > 100, r.toString());
            // what the delta laid down it checks itself; the files in place it read already
            assertTrue(r.err().contains("files laid down against backup_manifest"), r.toString());
            // the parts of the snapshot that hold only files in place are never read
            assertTrue(
                    java.util.regex.Pattern.compile("[1-9]\\d* of \\d+ parts held only files in place")
                            .matcher(r.err())
                            .find(),
                    r.toString());
        }
        LocalCluster restored = fx.restoredServer(dir, port);
        assertEquals("250:1-250", restored.queryOne("SELECT count(*) || ':' || min(id) || '-' || max(id) FROM marker"));
        assertEquals(ballastAtTarget, ballast(restored));
        assertEquals("f", restored.queryOne("SELECT to_regclass('dropme') IS NOT NULL"));
        restored.stop();
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, Files.readAllBytes(otherName));
    }

    @Test
    @Order(10)
    void aDeltaRestoreRefusesALiveServerAnotherClusterAndAStrangeDirectoryWithNothingTouched() throws Exception {
        // a live server: the restore of the full, left running
        Path live = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok(
                "restore",
                "--immediate",
                "--snapshot",
                chain.get(0),
                "--target-dir",
                live.toString(),
                "--port",
                "" + port);
        var before = listing(live);
        Cli.Run r = fx.cli(
                "restore",
                "--latest",
                "--delta",
                "--target-dir",
                live.toString(),
                "--port",
                "" + LocalCluster.freePort());
        assertEquals(7, r.exitCode(), r.toString());
        assertTrue(r.err().contains("is running in"), r.toString());
        fx.restoredServer(live, port).stop();
        before.remove("postmaster.pid");
        var after = listing(live);
        after.keySet().removeIf(k -> !before.containsKey(k));
        assertEquals(before.keySet(), after.keySet());

        // another cluster's stopped data directory
        Path other = fx.base.resolve("other cluster's");
        LocalCluster.init(fx.tools, other, LocalCluster.freePort());
        var otherBefore = listing(other);
        r = fx.cli("restore", "--latest", "--delta", "--target-dir", other.toString());
        assertNotEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains("system identifier") && r.err().contains("nothing was changed"), r.toString());
        assertEquals(otherBefore, listing(other));

        // a directory that is no data directory
        Path strange = Files.createDirectories(fx.base.resolve("strange"));
        Files.writeString(strange.resolve("precious"), "keep me");
        r = fx.cli("restore", "--latest", "--delta", "--target-dir", strange.toString());
        assertEquals(7, r.exitCode(), r.toString());
        assertTrue(r.err().contains("not a PostgreSQL data directory"), r.toString());
        assertEquals("keep me", Files.readString(strange.resolve("precious")));

        // --force and --delta together
        r = fx.cli("restore", "--latest", "--delta", "--force", "--target-dir", strange.toString());
        assertEquals(2, r.exitCode(), r.toString());
    }

    @Test
    @Order(11)
    void afterARestartTheNextBlockLevelSnapshotIsAFull() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                kind().equals("block"), "PostgreSQL's own track changes across restarts");
        fx.primary.stop();
        fx.primary.start();
        Cli.Run r = fx.ok("snapshot", "create", "--incremental");
        assertTrue(r.err().contains("the server restarted since"), r.toString());
        JsonNode list = JSON.readTree(fx.ok("snapshot", "list", "--json").out());
        assertEquals("full", list.get(list.size() - 1).get("lineage").asText(), list.toString());
    }

    /** A full stored as one object, as snapshots were before parts, restores, and so does the incremental on it. */
    @Test
    @Order(12)
    void aFullStoredAsOneObjectStillRestoresAndCarriesItsChain() throws Exception {
        try (Repository repo = Repository.open(fx.config(), false)) {
            SnapshotRecord full =
                    repo.catalog().snapshot(new SnapshotId(chain.get(0))).orElseThrow();
            var parts = dev.pitr.catalog.SnapshotParts.read(repo.codec(), repo.storage(), full);
            String key = "snapshots/" + full.id() + "/base.tar.zst";
            dev.pitr.codec.Checksum sha = dev.pitr.codec.Checksum.sha256();
            var stored = repo.codec().put(repo.storage(), key, java.util.Map.of(), out -> {
                var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(sha.wrap(out));
                tar.setLongFileMode(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream.LONGFILE_POSIX);
                for (var part : parts.parts()) {
                    try (var in = repo.codec().open(repo.storage(), part.storageKey(), false)) {
                        var each = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(in);
                        for (var e = each.getNextEntry(); e != null; e = each.getNextEntry()) {
                            tar.putArchiveEntry(e);
                            each.transferTo(tar);
                            tar.closeArchiveEntry();
                        }
                    }
                }
                tar.finish();
            });
            for (var part : parts.parts()) {
                repo.storage().delete(part.storageKey());
            }
            repo.storage().delete(full.storageKey());
            repo.catalog()
                    .updateSnapshot(new SnapshotRecord(
                            full.id(),
                            full.label(),
                            full.status(),
                            full.timeline(),
                            full.startLsn(),
                            full.stopLsn(),
                            full.startTime(),
                            full.stopTime(),
                            full.firstSegment(),
                            full.lastSegment(),
                            sha.bytes(),
                            stored.storedSize(),
                            sha.value(),
                            key,
                            null,
                            full.backupManifest(),
                            full.retention(),
                            full.lineage()));
        }
        assertEquals("50:1-50", fx.restoreMarkers("--immediate", "--snapshot", chain.get(0)));
        assertEquals("100:1-100", fx.restoreMarkers("--immediate", "--snapshot", chain.get(1)));
    }
}
