package dev.pitr.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.cli.Cli;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import dev.pitr.wal.PartialShipper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * An encrypted archive of a real PostgreSQL 15 primary, damaged on purpose: a flipped byte, a truncation, two
 * segments' bodies swapped and a wrong key must each make {@code wal fetch} and {@code restore} refuse, naming the
 * object, with nothing handed to PostgreSQL. Then the key is rotated while WAL keeps arriving, and restores cross the
 * boundary.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EncryptedArchiveIT {

    ArchiveFixture fx;
    SegmentRecord first;
    SegmentRecord second;

    @BeforeAll
    void archiveAPrimary() throws Exception {
        fx = new ArchiveFixture("encrypted", ArchiveFixture.Backend.LOCAL, ArchiveFixture.Encryption.KEY_FILE);
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY)");
        insert(1, 50);
        fx.ok("snapshot", "create", "--label", "enc");
        insert(51, 100);
        fx.switchAndAwaitArchived();
        try (Repository repo = fx.repository()) {
            var snap = repo.catalog().snapshots().get(0);
            first = repo.catalog().segment(snap.firstSegment()).orElseThrow();
            List<SegmentRecord> all = repo.catalog().allSegments();
            second = all.get(all.indexOf(first) + 1);
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    private void insert(int from, int to) {
        fx.primary.execute("INSERT INTO marker SELECT generate_series(" + from + ", " + to + ")");
    }

    private Path body(SegmentRecord s) {
        return fx.base.resolve("repo").resolve(s.storageKey());
    }

    /** {@code wal fetch} of the damaged segment exits above 125 naming the object, and writes nothing. */
    private void fetchRefuses(SegmentRecord s, int exitCode, Map<String, String> env) {
        Path out = fx.base.resolve("fetched-" + s.name().fileName());
        Cli.Run r = fx.cliWithEnv(env, "wal", "fetch", s.name().fileName(), out.toString());
        assertEquals(exitCode, r.exitCode(), r.toString());
        assertTrue(r.err().contains(s.storageKey()), r.toString());
        assertFalse(Files.exists(out));
    }

    /** A restore fails naming the object, and PostgreSQL's pg_wal never holds the damaged segment. */
    private void restoreRefuses(String object, String segmentName, Map<String, String> env) throws Exception {
        Path dir = fx.newTargetDir();
        Cli.Run r = fx.cliWithEnv(
                env, "restore", "--latest", "--target-dir", dir.toString(), "--port", "" + LocalCluster.freePort());
        assertNotEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains(object), r.toString());
        if (Files.isDirectory(dir.resolve("pg_wal"))) {
            try (Stream<Path> s = Files.list(dir.resolve("pg_wal"))) {
                Set<String> names = s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
                assertFalse(names.contains(segmentName) || names.contains("RECOVERYXLOG"), names.toString());
            }
        }
    }

    private void withBody(SegmentRecord s, byte[] damaged, ThrowingRunnable test) throws Exception {
        Path p = body(s);
        byte[] good = Files.readAllBytes(p);
        Files.write(p, damaged);
        try {
            test.run();
        } finally {
            Files.write(p, good);
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    @Order(1)
    void aFlippedByteIsRefused() throws Exception {
        byte[] bad = Files.readAllBytes(body(first));
        bad[bad.length / 2] ^= 0x01;
        withBody(first, bad, () -> {
            fetchRefuses(first, 142, fx.restoreEnv);
            restoreRefuses(first.storageKey(), first.name().fileName(), fx.restoreEnv);
        });
    }

    @Test
    @Order(2)
    void aTruncatedObjectIsRefused() throws Exception {
        byte[] good = Files.readAllBytes(body(first));
        withBody(first, Arrays.copyOf(good, good.length - 100), () -> {
            fetchRefuses(first, 142, fx.restoreEnv);
            restoreRefuses(first.storageKey(), first.name().fileName(), fx.restoreEnv);
        });
    }

    @Test
    @Order(3)
    void swappedBodiesAreRefused() throws Exception {
        byte[] a = Files.readAllBytes(body(first));
        byte[] b = Files.readAllBytes(body(second));
        withBody(
                first,
                b,
                () -> withBody(second, a, () -> {
                    fetchRefuses(first, 142, fx.restoreEnv);
                    fetchRefuses(second, 142, fx.restoreEnv);
                    restoreRefuses(first.storageKey(), first.name().fileName(), fx.restoreEnv);
                }));
    }

    @Test
    @Order(4)
    void aWrongKeyIsRefused() throws Exception {
        Path other = fx.base.resolve("keys/other.hex");
        fx.ok("keys", "generate", "--out", other.toString());
        Map<String, String> env = Map.of("PITR_ENCRYPTION_KEY_FILE", other.toString());
        fetchRefuses(first, 149, env);
        String snapshotKey;
        try (Repository repo = fx.repository()) {
            snapshotKey = repo.catalog().snapshots().get(0).storageKey();
        }
        restoreRefuses(snapshotKey, first.name().fileName(), env);
    }

    @Test
    @Order(5)
    void theUndamagedArchiveStillRestores() {
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok("restore", "--latest", "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals("100", fx.restoredServer(dir, port).queryOne("SELECT count(*) FROM marker"));
    }

    /**
     * What {@code keys check} lists, but the chunks of the segment being written: they last only until that segment is
     * archived whole, so which of them exist depends on the moment.
     */
    private Set<String> listedByCheck() {
        Set<String> out = listedByCheckAll();
        out.removeIf(k -> k.startsWith(PartialShipper.PREFIX));
        return out;
    }

    private Set<String> listedByCheckAll() {
        Cli.Run r = fx.ok("keys", "check");
        return r.out()
                .lines()
                .filter(l -> l.contains("\t"))
                .map(l -> l.substring(0, l.indexOf('\t')))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Every encrypted object but the chunks of the segment being written (see {@link #listedByCheck}). */
    private Set<String> encryptedObjects() {
        try (Repository repo = fx.repository()) {
            Set<String> out = new TreeSet<>();
            for (String k : repo.storage().list(ObjectCodec.ENVELOPE_PREFIX)) {
                out.add(k.substring(ObjectCodec.ENVELOPE_PREFIX.length()));
            }
            out.removeIf(k -> k.startsWith(PartialShipper.PREFIX));
            return out;
        }
    }

    @Test
    @Order(10)
    void rotationKeepsOldObjectsReadableAndRewrapsOnlyTheirEnvelopes() throws Exception {
        assertEquals(Set.of(), listedByCheck());
        Set<String> old = encryptedObjects();
        Map<String, String> bodies = new HashMap<>();
        for (String k : old) {
            bodies.put(k, Sha256.of(Files.readAllBytes(fx.base.resolve("repo").resolve(k))));
        }
        String oldKeyId =
                SecretKeyWrapper.fromKey(hex(fx.base.resolve("keys/kek.hex"))).keyId();

        // the new key becomes current; the old one is retired, still held to read what it wrapped
        fx.ok("keys", "generate", "--out", fx.base.resolve("keys/kek-b.hex").toString());
        String newKeyId =
                SecretKeyWrapper.fromKey(hex(fx.base.resolve("keys/kek-b.hex"))).keyId();
        fx.stopCapture();
        String yaml = Files.readString(fx.configFile);
        Files.writeString(
                fx.configFile,
                yaml.replace(
                        "key_file: keys/kek.hex\n", "key_file: keys/kek-b.hex\n  retired_key_files: keys/kek.hex\n"));
        fx.startCapture();
        assertEquals(old, listedByCheck());
        assertTrue(fx.ok("keys", "check").out().contains(oldKeyId));

        insert(101, 150);
        fx.switchAndAwaitArchived();
        Set<String> fresh = new TreeSet<>(encryptedObjects());
        fresh.removeAll(old);
        assertFalse(fresh.isEmpty());
        try (Repository repo = fx.repository()) {
            for (String k : fresh) {
                assertEquals(
                        newKeyId,
                        repo.storage().metadata(ObjectCodec.envelopeKey(k)).get(ObjectCodec.KEY_ID),
                        k);
            }
        }
        assertEquals(old, listedByCheck(), "the check lists exactly the objects from before the rotation");

        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok("restore", "--latest", "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals("150", fx.restoredServer(dir, port).queryOne("SELECT count(*) FROM marker"));

        Cli.Run rotated = fx.ok("keys", "rotate");
        assertTrue(rotated.out().contains(old.size() + " envelopes rewrapped"), rotated.toString());
        assertEquals(Set.of(), listedByCheckAll(), "nothing is left under the old key, chunks included");
        for (String k : old) {
            assertEquals(
                    bodies.get(k),
                    Sha256.of(Files.readAllBytes(fx.base.resolve("repo").resolve(k))),
                    k + " body changed");
        }
        try (Repository repo = fx.repository()) {
            for (SegmentRecord s : repo.catalog().allSegments()) {
                assertEquals(newKeyId, s.keyId(), s.name().fileName());
            }
            assertEquals(newKeyId, repo.catalog().snapshots().get(0).keyId());
        }

        // with the old key gone from the configuration, everything still restores
        Files.writeString(
                fx.configFile, Files.readString(fx.configFile).replace("  retired_key_files: keys/kek.hex\n", ""));
        Path dir2 = fx.newTargetDir();
        int port2 = LocalCluster.freePort();
        fx.ok("restore", "--latest", "--target-dir", dir2.toString(), "--port", "" + port2);
        assertEquals("150", fx.restoredServer(dir2, port2).queryOne("SELECT count(*) FROM marker"));
    }

    @Test
    @Order(20)
    void theCatalogIsRebuiltFromEncryptedObjectsWithTheKeysThatOpenThemNow() throws Exception {
        List<SegmentRecord> before;
        try (Repository repo = fx.repository()) {
            before = repo.catalog().allSegments();
        }
        fx.stopCapture();
        Files.move(fx.base.resolve("catalog.db"), fx.base.resolve("catalog.db.lost"));
        fx.ok("catalog", "rebuild");
        String newKeyId =
                SecretKeyWrapper.fromKey(hex(fx.base.resolve("keys/kek-b.hex"))).keyId();
        try (Repository repo = fx.repository()) {
            List<SegmentRecord> after = repo.catalog().allSegments();
            assertEquals(
                    before.stream().map(s -> s.name().fileName() + s.checksum()).toList(),
                    after.stream().map(s -> s.name().fileName() + s.checksum()).toList());
            // the time index comes back from the objects' metadata
            assertEquals(
                    before.stream().map(SegmentRecord::index).toList(),
                    after.stream().map(SegmentRecord::index).toList());
            for (SegmentRecord s : after) {
                assertEquals(newKeyId, s.keyId(), s.name().fileName());
            }
            var snap = repo.catalog().snapshots().get(0);
            assertEquals(newKeyId, snap.keyId());
            assertEquals("COMPLETE", snap.status().name());
        }
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok("restore", "--latest", "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals("150", fx.restoredServer(dir, port).queryOne("SELECT count(*) FROM marker"));
    }

    /**
     * Someone who can write to the bucket but holds no key plants plain objects: a segment with no metadata and a
     * snapshot manifest. An encrypted repository never takes them, rebuilt or not: the rebuild lists each as not
     * recorded and exits 142, and the archive still restores exactly.
     */
    @Test
    @Order(21)
    void plainObjectsPlantedInAnEncryptedRepositoryAreNeverTaken() throws Exception {
        List<SegmentRecord> segments;
        try (Repository repo = fx.repository()) {
            segments = repo.catalog().allSegments();
        }
        SegmentRecord last = segments.get(segments.size() - 1);
        String plantedKey = last.storageKey()
                .replace(last.name().fileName(), last.name().next().fileName());
        java.io.ByteArrayOutputStream zstd = new java.io.ByteArrayOutputStream();
        try (var out = new dev.pitr.codec.Zstd(3).compress(zstd)) {
            out.write(new byte[(int) last.plainSize()]);
        }
        Path planted = Files.write(fx.base.resolve("repo").resolve(plantedKey), zstd.toByteArray());
        Path manifest = Files.createDirectories(fx.base.resolve("repo/snapshots/20991231T000000Z"))
                .resolve("manifest.json");
        Files.writeString(manifest, "{\"id\":\"20991231T000000Z\",\"key_id\":null}");
        try {
            Cli.Run r = fx.cli("catalog", "rebuild");
            assertEquals(142, r.exitCode(), r.toString());
            assertTrue(
                    r.out().contains("not recorded: " + plantedKey) && r.out().contains("is not encrypted"),
                    r.toString());
            assertTrue(r.out().contains("not recorded: snapshots/20991231T000000Z/manifest.json"), r.toString());
            assertTrue(r.err().contains("2 objects could not be recorded"), r.toString());
            try (Repository repo = fx.repository()) {
                assertTrue(
                        repo.catalog().segment(last.name().next().walFileName()).isEmpty());
                assertEquals(1, repo.catalog().snapshots().size());
            }
            Path dir = fx.newTargetDir();
            int port = LocalCluster.freePort();
            fx.ok("restore", "--latest", "--target-dir", dir.toString(), "--port", "" + port);
            assertEquals("150", fx.restoredServer(dir, port).queryOne("SELECT count(*) FROM marker"));
        } finally {
            Files.deleteIfExists(planted);
            Files.deleteIfExists(manifest);
        }
    }

    private static byte[] hex(Path p) throws Exception {
        return java.util.HexFormat.of().parseHex(Files.readString(p).strip());
    }
}
