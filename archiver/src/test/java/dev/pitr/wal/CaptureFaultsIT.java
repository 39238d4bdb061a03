package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.FaultProxy;
import dev.pitr.aws.NeedsAws;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.codec.Checksum;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Capture and a snapshot with every fifth S3 request and every fifth DynamoDB request throttled, reset mid-body or
 * stalled past the timeout. While it runs, every segment is at all times either still in the spool or in both storage
 * and catalog; at the end every segment is stored exactly once with its checksum, and a restore has every row.
 */
@NeedsAws
class CaptureFaultsIT {

    static ArchiveFixture fx;
    static FaultProxy s3Faults;
    static FaultProxy dynamoFaults;

    @BeforeAll
    static void setUp() throws Exception {
        fx = new ArchiveFixture("faults", ArchiveFixture.Backend.AWS);
        s3Faults = new FaultProxy(fx.aws().s3Endpoint(), FaultProxy.Service.S3, 5, 2_500);
        dynamoFaults = new FaultProxy(fx.aws().dynamoDbEndpoint(), FaultProxy.Service.DYNAMODB, 5, 2_500);
        fx.routeThrough(s3Faults.endpoint(), dynamoFaults.endpoint(), 2);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (fx != null) {
            s3Faults.close();
            dynamoFaults.close();
            fx.close();
        }
    }

    @Test
    void faultsLoseNothingAndAcknowledgeNothingEarly() throws Exception {
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE t (id int PRIMARY KEY, pad text)");
        // enough data that the snapshot is a multipart upload of several parts, through the same faults
        fx.primary.execute(
                "CREATE TABLE bulk AS SELECT g, md5(g::text) || md5((g * 7)::text) AS pad FROM generate_series(1, 400000) g");
        fx.ok("snapshot", "create");
        AtomicBoolean writing = new AtomicBoolean(true);
        List<String> violations = new ArrayList<>();
        Thread watcher = new Thread(() -> watchInvariant(writing, violations));
        watcher.start();
        int rows = 0;
        for (int i = 0; i < 34; i++) {
            fx.primary.execute("INSERT INTO t SELECT g, repeat(md5(g::text), 8) FROM generate_series(" + (rows + 1)
                    + ", " + (rows + 3000) + ") g");
            rows += 3000;
            fx.primary.queryOne("SELECT pg_switch_wal()");
        }
        fx.switchAndAwaitArchived();
        writing.set(false);
        watcher.join();
        fx.stopCapture();
        assertTrue(violations.isEmpty(), String.join("\n", violations));
        assertTrue(
                s3Faults.faults() >= 10 && dynamoFaults.faults() >= 10,
                "s3 " + s3Faults.summary() + ", dynamodb " + dynamoFaults.summary());

        s3Faults.passThrough(true);
        dynamoFaults.passThrough(true);
        try (Repository repo = fx.repository()) {
            SnapshotRecord snap = repo.catalog().snapshots().get(0);
            assertEquals(SnapshotRecord.Status.COMPLETE, snap.status());
            assertTrue(
                    snap.storedSize() > 3L * (5 << 20), "snapshot of " + snap.storedSize() + " bytes is not multipart");
            List<SegmentRecord> segs = repo.catalog().allSegments();
            assertTrue(segs.size() >= 30, "only " + segs.size() + " segments");
            long expect = segs.get(0).name().segno();
            for (SegmentRecord s : segs) {
                assertEquals(expect++, s.name().segno(), "gap or duplicate at " + s.name());
                Checksum sha = Checksum.like(s.checksum());
                try (InputStream in = sha.wrap(repo.codec().open(repo.storage(), s.storageKey(), s.keyId() != null))) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                assertEquals(s.checksum(), sha.value(), "checksum of " + s.name());
            }
            assertEquals(
                    segs.size(),
                    repo.storage().list("wal/").stream()
                            .filter(k -> !k.endsWith(".history.zst"))
                            .count());
            assertTrue(snap.firstSegment().compareTo(segs.get(0).name().walFileName()) >= 0);
        }
        Path dir = fx.newTargetDir();
        int port = LocalCluster.freePort();
        fx.ok("restore", "--latest", "--target-dir", dir.toString(), "--port", "" + port);
        assertEquals(Integer.toString(rows), fx.restoredServer(dir, port).queryOne("SELECT count(*) FROM t"));
    }

    /**
     * Lists the spool, then the catalog and storage: a segment that was already written when the spool was listed is
     * either in that listing or was acknowledged (removed) only after it reached storage and catalog.
     */
    private static void watchInvariant(AtomicBoolean writing, List<String> violations) {
        Path spool = fx.base.resolve("spool");
        while (writing.get()) {
            try (Repository repo = fx.repository()) {
                Set<String> inSpool;
                try (Stream<Path> s = Files.list(spool)) {
                    inSpool = s.map(p -> p.getFileName().toString().replace(".partial", ""))
                            .filter(SegmentName::isSegmentFileName)
                            .collect(Collectors.toCollection(TreeSet::new));
                }
                List<SegmentRecord> recorded = repo.catalog().allSegments();
                Set<String> inCatalog =
                        recorded.stream().map(r -> r.name().fileName()).collect(Collectors.toSet());
                for (SegmentRecord r : recorded) {
                    if (repo.storage().stat(r.storageKey()).isEmpty()) {
                        violations.add(r.name() + " is in the catalog but not in storage");
                    }
                }
                if (!recorded.isEmpty() && !inSpool.isEmpty()) {
                    long first = recorded.get(0).name().segno();
                    String newestInSpool = ((TreeSet<String>) inSpool).last();
                    for (long n = first; ; n++) {
                        String name = new SegmentName(recorded.get(0).name().timeline(), n, 16L << 20).fileName();
                        if (name.compareTo(newestInSpool) > 0) {
                            break;
                        }
                        if (!inSpool.contains(name) && !inCatalog.contains(name)) {
                            violations.add(name + " left the spool before it was in the catalog");
                        }
                    }
                }
            } catch (Exception e) {
                // the watcher reads through the same faulty endpoints; a failed look is not a violation
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
