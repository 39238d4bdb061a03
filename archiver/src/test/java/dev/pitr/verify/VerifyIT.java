package dev.pitr.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotParts;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.cli.Cli;
import dev.pitr.config.Repository;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code pitr verify} on a real, encrypted archive: it passes on the intact archive, reads within its budget, and on
 * an archive with a flipped byte in a segment, a flipped byte in a snapshot and a missing segment names exactly those
 * three and fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VerifyIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    ArchiveFixture fx;

    ArchiveFixture.Backend backend() {
        return ArchiveFixture.Backend.LOCAL;
    }

    @BeforeAll
    void archive() throws Exception {
        fx = new ArchiveFixture("verify", backend(), ArchiveFixture.Encryption.KEY_FILE);
        fx.smallSnapshotParts();
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        fx.ok("snapshot", "create");
        for (int i = 0; i < 6; i++) {
            fx.primary.execute("INSERT INTO marker SELECT g, repeat('x', 200) FROM generate_series(" + (i * 20_000 + 1)
                    + ", " + ((i + 1) * 20_000) + ") g");
            fx.switchAndAwaitArchived();
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    private JsonNode verify(int exitCode, String... args) throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "verify";
        System.arraycopy(args, 0, all, 1, args.length);
        all[all.length - 1] = "--json";
        Cli.Run r = fx.cli(all);
        assertEquals(exitCode, r.exitCode(), r.toString());
        return JSON.readTree(r.out());
    }

    @Test
    @Order(1)
    void theIntactArchivePassesQuickAndDeep() throws Exception {
        JsonNode quick = verify(0);
        assertTrue(quick.get("passed").asBoolean(), quick.toString());
        assertTrue(quick.get("timelines").get(0).get("segments").asInt() >= 6, quick.toString());
        assertEquals(1, quick.get("timelines").get(0).get("snapshots").asInt(), quick.toString());
        JsonNode deep = verify(0, "--deep");
        assertTrue(deep.get("passed").asBoolean(), deep.toString());
        assertTrue(deep.get("bytes_read").asLong() > quick.get("bytes_read").asLong(), deep.toString());
    }

    @Test
    @Order(2)
    void deepVerificationReadsWithinItsBudget() throws Exception {
        long t0 = System.nanoTime();
        JsonNode deep = verify(0, "--deep", "--max-mb-per-second", "1");
        double seconds = (System.nanoTime() - t0) / 1e9;
        double megabytes = deep.get("bytes_read").asLong() / (double) (1 << 20);
        assertTrue(megabytes > 1, deep.toString());
        assertTrue(seconds >= megabytes * 0.9, "read " + megabytes + " MB in " + seconds + " s at 1 MB/s");
    }

    @Test
    @Order(3)
    void aFlippedSegmentAFlippedSnapshotAndAMissingSegmentAreNamedExactly() throws Exception {
        String flippedSegment;
        String missingSegment;
        String snapshotId;
        String part;
        // through the storage API, so that it is the same on a directory and on S3
        try (Repository repo = Repository.open(fx.config(), false)) {
            List<SegmentRecord> segs = repo.catalog().allSegments();
            flippedSegment = segs.get(segs.size() - 3).storageKey();
            missingSegment = segs.get(segs.size() - 5).storageKey();
            SnapshotRecord snap = repo.catalog().snapshots().get(0);
            snapshotId = snap.id().value();
            List<SnapshotParts.Part> parts =
                    SnapshotParts.read(repo.codec(), repo.storage(), snap).parts();
            assertTrue(parts.size() > 2, parts.toString());
            part = parts.get(parts.size() / 2).storageKey();
            flip(repo.storage(), flippedSegment);
            flip(repo.storage(), part);
            repo.storage().delete(missingSegment);
        }

        // the quick pass sees what storage says: the missing one
        JsonNode quick = verify(22);
        assertEquals(Set.of(missingSegment), objects(quick), quick.toString());

        JsonNode deep = verify(22, "--deep");
        assertEquals(Set.of(flippedSegment, missingSegment, snapshotId), objects(deep), deep.toString());
        for (JsonNode p : deep.get("problems")) {
            if (p.get("kind").asText().equals("snapshot")) {
                assertTrue(p.get("what").asText().startsWith(part), p.toString());
            }
        }
        assertEquals(3, deep.get("timelines").get(0).get("failed").asInt(), deep.toString());
    }

    private static Set<String> objects(JsonNode report) {
        Set<String> s = new HashSet<>();
        report.get("problems").forEach(p -> s.add(p.get("object").asText()));
        return s;
    }

    /** Rewrites {@code key} with one byte in its middle changed, its size and metadata as they were. */
    private static void flip(dev.pitr.storage.Storage storage, String key) throws Exception {
        byte[] b;
        try (java.io.InputStream in = storage.open(key)) {
            b = in.readAllBytes();
        }
        b[b.length / 2] ^= 0x20;
        byte[] flipped = b;
        storage.put(key, storage.metadata(key), out -> out.write(flipped));
    }
}
