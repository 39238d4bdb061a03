package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.ArchiveConflictException;
import dev.pitr.catalog.SegmentIndex;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.codec.Zstd;
import dev.pitr.config.Repository;
import dev.pitr.crypto.Keyring;
import dev.pitr.crypto.SecretKeyWrapper;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.LocalStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalShipperTest {

    @TempDir
    Path dir;

    Repository repo;
    WalShipper shipper;
    Path spool;

    @BeforeEach
    void setUp() throws Exception {
        repo = new Repository(
                new LocalStorage(dir.resolve("repo")), SqliteCatalog.open(dir.resolve("catalog.db")), new Zstd(1));
        shipper = new WalShipper(repo, Clock.systemUTC());
        spool = Files.createDirectories(dir.resolve("spool"));
    }

    @AfterEach
    void tearDown() {
        repo.close();
    }

    private Path segment(String name, int seed) throws Exception {
        byte[] b = new byte[1 << 20];
        new Random(seed).nextBytes(b);
        return Files.write(spool.resolve(name), b);
    }

    /** A segment whose first page is a PostgreSQL 15 long header naming {@code sysid}. */
    private Path segmentOf(String name, long sysid) throws Exception {
        return segmentOf(name, WalFormat.PG15.magic(), sysid);
    }

    /** A segment whose first page is a long header with page magic {@code magic}, naming {@code sysid}. */
    private Path segmentOf(String name, int magic, long sysid) throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1 << 20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putShort(0, (short) magic).putShort(2, (short) 0x0002).putInt(4, 1).putLong(24, sysid);
        return Files.write(spool.resolve(name), b.array());
    }

    /** WAL of a version the reader does not read is refused, never archived as unreadable; other bytes still ship. */
    @Test
    void aSegmentOfAnotherPostgresVersionIsRefusedBeforeAnythingIsStored() throws Exception {
        Path pg12 = segmentOf("000000010000000000000002", 0xD101, 7345000000000000001L);
        PitrException e = assertThrows(PitrException.class, () -> shipper.ship(pg12));
        assertEquals(dev.pitr.error.ErrorCode.UNSUPPORTED_VERSION, e.code());
        assertTrue(e.getMessage().contains("d101"), e.getMessage());
        assertTrue(e.hint().contains("13 to 18"), e.hint());
        assertTrue(repo.catalog()
                .segment(WalFileName.of("000000010000000000000002"))
                .isEmpty());
        assertTrue(Files.exists(pg12), "left in the spool");
    }

    /** The repository records its cluster's version with the first segment; WAL of another version is refused. */
    @Test
    void aSegmentOfAnotherVersionThanTheRepositorysIsRefused() throws Exception {
        shipper.ship(segmentOf("000000010000000000000002", 7345000000000000001L));
        Path upgraded = segmentOf("000000010000000000000003", WalFormat.PG17.magic(), 7345000000000000002L);
        PitrException e = assertThrows(PitrException.class, () -> shipper.ship(upgraded));
        assertEquals(dev.pitr.error.ErrorCode.WRONG_CLUSTER, e.code());
        assertTrue(e.getMessage().contains("of PostgreSQL 17, but"), e.getMessage());
        assertTrue(e.getMessage().contains("archives PostgreSQL 15's cluster 7345000000000000001"), e.getMessage());
        assertTrue(e.hint().contains("pg_upgrade"), e.hint());
        assertTrue(repo.catalog()
                .segment(WalFileName.of("000000010000000000000003"))
                .isEmpty());
    }

    @Test
    void anotherClustersSegmentIsRefusedBeforeAnythingIsStored() throws Exception {
        segmentOf("000000010000000000000002", 7345000000000000001L);
        shipper.ship(spool.resolve("000000010000000000000002"));
        Path foreign = segmentOf("000000010000000000000003", 7345000000000000002L);
        PitrException e = assertThrows(PitrException.class, () -> shipper.ship(foreign));
        assertEquals(dev.pitr.error.ErrorCode.WRONG_CLUSTER, e.code());
        assertTrue(
                e.getMessage().contains("7345000000000000002") && e.getMessage().contains("7345000000000000001"),
                e.getMessage());
        assertTrue(repo.catalog()
                .segment(WalFileName.of("000000010000000000000003"))
                .isEmpty());
        assertFalse(Files.exists(dir.resolve("repo/wal/0000000100000000/000000010000000000000003.zst")));
        // a new shipper (another archive_command run) reads what the first one recorded
        PitrException again =
                assertThrows(PitrException.class, () -> new WalShipper(repo, Clock.systemUTC()).ship(foreign));
        assertEquals(dev.pitr.error.ErrorCode.WRONG_CLUSTER, again.code());
        segmentOf("000000010000000000000004", 7345000000000000001L);
        new WalShipper(repo, Clock.systemUTC()).ship(spool.resolve("000000010000000000000004"));
        // nor is another cluster's .partial kept
        Path foreignPartial = segmentOf("000000010000000000000005.partial", 7345000000000000002L);
        assertEquals(
                dev.pitr.error.ErrorCode.WRONG_CLUSTER,
                assertThrows(PitrException.class, () -> shipper.push(foreignPartial, 0))
                        .code());
        assertFalse(Files.exists(dir.resolve("repo/wal/0000000100000000/000000010000000000000005.partial.zst")));
    }

    @Test
    void shipsCompleteFilesHistoryFirstAndNeverPartials() throws Exception {
        segment("000000010000000000000002", 1);
        segment("000000010000000000000003.partial", 2);
        Files.writeString(spool.resolve("00000002.history"), "1\t0/2100000\tno recovery target specified\n");
        List<WalShipper.Shipped> shipped = shipper.shipSpool(spool);
        assertEquals(
                List.of("00000002.history", "000000010000000000000002"),
                shipped.stream().map(WalShipper.Shipped::fileName).toList());
        assertTrue(Files.exists(spool.resolve("000000010000000000000003.partial")));
        assertFalse(Files.exists(spool.resolve("000000010000000000000002")));
        assertEquals(
                1 << 20,
                repo.catalog()
                        .segment(WalFileName.of("000000010000000000000002"))
                        .orElseThrow()
                        .plainSize());
    }

    @Test
    void parallelShippingAcknowledgesInOrderAndStopsAtTheFirstFailure() throws Exception {
        for (int n = 2; n <= 9; n++) {
            segment(String.format("0000000100000000000000%02X", n), n);
        }
        // the sixth file is not a whole segment: shipping it fails, whatever the threads did after it
        Files.write(spool.resolve("000000010000000000000007"), new byte[1000]);
        WalShipper parallel = new WalShipper(repo, Clock.systemUTC(), 4);
        assertThrows(PitrException.class, () -> parallel.shipSpool(spool));
        for (int n = 2; n <= 9; n++) {
            String name = String.format("0000000100000000000000%02X", n);
            assertEquals(n >= 7, Files.exists(spool.resolve(name)), name + " acknowledged out of order");
        }
        assertTrue(repo.catalog()
                .segment(WalFileName.of("000000010000000000000006"))
                .isPresent());
        Files.write(spool.resolve("000000010000000000000007"), segmentBytes(7));
        List<WalShipper.Shipped> rest = parallel.shipSpool(spool);
        assertEquals(
                List.of("000000010000000000000007", "000000010000000000000008", "000000010000000000000009"),
                rest.stream().map(WalShipper.Shipped::fileName).toList());
        assertEquals(8, repo.catalog().allSegments().size());
        try (Stream<Path> left = Files.list(spool)) {
            assertEquals(List.of(), left.toList());
        }
    }

    private static byte[] segmentBytes(int seed) {
        byte[] b = new byte[1 << 20];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void shippingAgainAfterACrashIsIdempotentButOtherBytesConflict() throws Exception {
        Path seg = segment("000000010000000000000002", 1);
        Path copy = Files.copy(seg, dir.resolve("copy"));
        assertEquals(WalShipper.Outcome.ARCHIVED, shipper.ship(seg).outcome());
        assertEquals(WalShipper.Outcome.ALREADY_ARCHIVED, shipper.ship(seg).outcome());
        segment("000000010000000000000002", 99);
        assertThrows(ArchiveConflictException.class, () -> shipper.ship(seg));
        Path fetched = dir.resolve("fetched");
        new WalFetcher(repo).fetch("000000010000000000000002", fetched);
        assertEquals(-1, Files.mismatch(copy, fetched));
    }

    @Test
    void aSegmentRecordedWithASha256BeforeCrc32cIsCheckedWithIt() throws Exception {
        Path seg = segment("000000010000000000000002", 1);
        byte[] bytes = Files.readAllBytes(seg);
        SegmentName name = SegmentName.parse(seg.getFileName().toString(), bytes.length);
        String key = WalKeys.segment(name);
        long stored = repo.codec()
                .put(repo.storage(), key, java.util.Map.of(), out -> out.write(bytes))
                .storedSize();
        String sha = Sha256.of(bytes);
        repo.catalog()
                .recordSegment(
                        new SegmentRecord(name, bytes.length, stored, sha, key, null, java.time.Instant.now(), null));
        assertEquals(WalShipper.Outcome.ALREADY_ARCHIVED, shipper.ship(seg).outcome());
        assertEquals(
                sha, repo.catalog().segment(name.walFileName()).orElseThrow().checksum());
        Path fetched = dir.resolve("fetched");
        new WalFetcher(repo).fetch("000000010000000000000002", fetched);
        assertEquals(-1, Files.mismatch(seg, fetched));
        segment("000000010000000000000002", 99);
        assertThrows(ArchiveConflictException.class, () -> shipper.ship(seg));
    }

    @Test
    void segmentsAreRecordedWithASha256WhenPlainAndACrc32cWhenEncrypted() throws Exception {
        Path seg = segment("000000010000000000000002", 3);
        byte[] bytes = Files.readAllBytes(seg);
        shipper.ship(seg);
        var plain = repo.catalog()
                .segment(WalFileName.of("000000010000000000000002"))
                .orElseThrow();
        assertEquals(Sha256.of(bytes), plain.checksum());
        assertEquals(
                plain.checksum(), repo.storage().metadata(plain.storageKey()).get("pitr-checksum"));

        byte[] kek = new byte[32];
        new Random(5).nextBytes(kek);
        Keyring keys = Keyring.of(SecretKeyWrapper.fromKey(kek), List.of());
        try (Repository encrypted = new Repository(
                new LocalStorage(dir.resolve("repo-encrypted")),
                SqliteCatalog.open(dir.resolve("catalog-encrypted.db")),
                new ObjectCodec(new Zstd(1), keys))) {
            new WalShipper(encrypted, Clock.systemUTC()).ship(seg);
            var r = encrypted
                    .catalog()
                    .segment(WalFileName.of("000000010000000000000002"))
                    .orElseThrow();
            assertEquals(Checksum.crc32cOf(bytes), r.checksum());
            Path fetched = dir.resolve("fetched");
            new WalFetcher(encrypted).fetch("000000010000000000000002", fetched);
            assertEquals(-1, Files.mismatch(seg, fetched));
        }
    }

    @Test
    void anExpiredSegmentRecordedWithASha256IsComparedInSha256WhenShippedAgain() throws Exception {
        byte[] kek = new byte[32];
        new Random(6).nextBytes(kek);
        try (Repository encrypted = new Repository(
                new LocalStorage(dir.resolve("repo-encrypted")),
                SqliteCatalog.open(dir.resolve("catalog-encrypted.db")),
                new ObjectCodec(new Zstd(1), Keyring.of(SecretKeyWrapper.fromKey(kek), List.of())))) {
            Path seg = segment("000000010000000000000002", 1);
            byte[] bytes = Files.readAllBytes(seg);
            SegmentName name = SegmentName.parse(seg.getFileName().toString(), bytes.length);
            String key = WalKeys.segment(name);
            long stored = encrypted
                    .codec()
                    .put(encrypted.storage(), key, java.util.Map.of(), out -> out.write(bytes))
                    .storedSize();
            encrypted
                    .catalog()
                    .recordSegment(new SegmentRecord(
                            name, bytes.length, stored, Sha256.of(bytes), key, "k", java.time.Instant.now(), null));
            encrypted.catalog().expireSegment(name.walFileName(), java.time.Instant.now());
            WalShipper again = new WalShipper(encrypted, Clock.systemUTC());
            assertEquals(WalShipper.Outcome.ALREADY_ARCHIVED, again.ship(seg).outcome());
            segment("000000010000000000000002", 99);
            ArchiveConflictException e = assertThrows(ArchiveConflictException.class, () -> again.ship(seg));
            assertTrue(e.otherKind(), e.getMessage());
        }
    }

    @Test
    void aSegmentThatIsNotWalIsArchivedAllTheSameAndFlagged() throws Exception {
        Path seg = segment("000000010000000000000002", 7);
        assertEquals(WalShipper.Outcome.ARCHIVED, shipper.ship(seg).outcome());
        SegmentIndex index = repo.catalog()
                .segment(WalFileName.of("000000010000000000000002"))
                .orElseThrow()
                .index();
        assertTrue(index.problem().contains("not the WAL of a PostgreSQL version pitr reads"), index.problem());
        assertEquals(0, index.transactions());
        assertEquals(
                index.problem(),
                repo.storage()
                        .metadata(WalKeys.segment(SegmentName.parse("000000010000000000000002", 1 << 20)))
                        .get("pitr-index-problem"));
    }

    @Test
    void refusesAnIncompleteSegment() throws Exception {
        Path short1 = Files.write(spool.resolve("000000010000000000000004"), new byte[1000]);
        assertThrows(PitrException.class, () -> shipper.ship(short1));
    }

    @Test
    void pushShipsTheReadyFilesAheadAndTheArchiveCommandAnswersThemFromReceipts() throws Exception {
        Path status = Files.createDirectories(spool.resolve("archive_status"));
        for (int n = 2; n <= 7; n++) {
            String name = String.format("0000000100000000000000%02X", n);
            segment(name, n);
            // 06 and 07 are still being written as far as PostgreSQL is concerned: not ready, so not pushed
            if (n <= 5) {
                Files.writeString(status.resolve(name + ".ready"), "");
            }
        }
        WalShipper parallel = new WalShipper(repo, Clock.systemUTC(), 2);
        List<WalShipper.Shipped> shipped = parallel.push(spool.resolve("000000010000000000000002"), 256);
        assertEquals(
                List.of(
                        "000000010000000000000002",
                        "000000010000000000000003",
                        "000000010000000000000004",
                        "000000010000000000000005"),
                shipped.stream().map(WalShipper.Shipped::fileName).toList());
        assertTrue(repo.catalog()
                .segment(WalFileName.of("000000010000000000000005"))
                .isPresent());
        assertFalse(repo.catalog()
                .segment(WalFileName.of("000000010000000000000006"))
                .isPresent());
        Path receipts = spool.resolve(WalShipper.RECEIPTS);
        try (Stream<Path> names = Files.list(receipts)) {
            assertEquals(
                    List.of("000000010000000000000003", "000000010000000000000004", "000000010000000000000005"),
                    names.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // PostgreSQL's archiver runs in the data directory: pushed-ahead files succeed with no pitr run at all, the
        // others fall through to pitr (here a command that fails, to tell them apart)
        Path dataDir = spool.getParent();
        Files.move(spool, dataDir.resolve("pg_wal"));
        String command = WalShipper.archiveCommand("false");
        for (int n = 3; n <= 6; n++) {
            String name = String.format("0000000100000000000000%02X", n);
            Process p = new ProcessBuilder(
                            "/bin/sh", "-c", command.replace("%f", name).replace("%p", "pg_wal/" + name))
                    .directory(dataDir.toFile())
                    .start();
            assertEquals(n <= 5 ? 0 : 1, p.waitFor(), name);
        }
        try (Stream<Path> left = Files.list(dataDir.resolve("pg_wal").resolve(WalShipper.RECEIPTS))) {
            assertEquals(List.of(), left.toList(), "receipts taken");
        }
    }

    @Test
    void aReceiptIsTakenWhenTheFileIsPushedAgainByAPlainArchiveCommand() throws Exception {
        Files.createDirectories(spool.resolve("archive_status"));
        segment("000000010000000000000002", 2);
        segment("000000010000000000000003", 3);
        Files.writeString(spool.resolve("archive_status/000000010000000000000003.ready"), "");
        shipper.push(spool.resolve("000000010000000000000002"), 256);
        assertTrue(Files.exists(spool.resolve(WalShipper.RECEIPTS).resolve("000000010000000000000003")));
        List<WalShipper.Shipped> again = shipper.push(spool.resolve("000000010000000000000003"), 256);
        assertEquals(WalShipper.Outcome.ALREADY_ARCHIVED, again.get(0).outcome());
        assertFalse(Files.exists(spool.resolve(WalShipper.RECEIPTS).resolve("000000010000000000000003")));
    }

    /**
     * PostgreSQL hands archive_command a backup history file as each base backup ends, and a promoted standby's last
     * segment of the old timeline as {@code .partial}; it retries a failed one for ever and archives nothing after it.
     * Both are kept as they are, pushed ahead like segments, answered from receipts, and recorded as no segment.
     */
    @Test
    void backupHistoryAndPartialFilesAreKeptAsTheyAreAndPushedAhead() throws Exception {
        Path status = Files.createDirectories(spool.resolve("archive_status"));
        segment("000000010000000000000002", 2);
        String label = """
                START WAL LOCATION: 0/2000028 (file 000000010000000000000002)
                STOP WAL LOCATION: 0/2000100 (file 000000010000000000000002)
                """;
        Path backup = Files.writeString(spool.resolve("000000010000000000000002.00000028.backup"), label);
        Path partial = segment("000000010000000000000003.partial", 3);
        segment("000000010000000000000004", 4);
        for (String n : List.of(
                "000000010000000000000002.00000028.backup",
                "000000010000000000000003.partial",
                "000000010000000000000004")) {
            Files.writeString(status.resolve(n + ".ready"), "");
        }
        List<WalShipper.Shipped> shipped = shipper.push(spool.resolve("000000010000000000000002"), 256);
        assertEquals(
                List.of(
                        "000000010000000000000002",
                        "000000010000000000000004",
                        "000000010000000000000002.00000028.backup",
                        "000000010000000000000003.partial"),
                shipped.stream().map(WalShipper.Shipped::fileName).toList());
        try (java.io.InputStream in = repo.codec()
                .open(repo.storage(), "wal/0000000100000000/000000010000000000000002.00000028.backup.zst", false)) {
            assertEquals(label, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        try (java.io.InputStream in =
                repo.codec().open(repo.storage(), "wal/0000000100000000/000000010000000000000003.partial.zst", false)) {
            assertTrue(java.util.Arrays.equals(Files.readAllBytes(partial), in.readAllBytes()));
        }
        assertFalse(
                repo.catalog()
                        .segment(WalFileName.of("000000010000000000000003"))
                        .isPresent(),
                "a .partial is no archived segment");
        try (Stream<Path> names = Files.list(spool.resolve(WalShipper.RECEIPTS))) {
            assertEquals(
                    List.of(
                            "000000010000000000000002.00000028.backup",
                            "000000010000000000000003.partial",
                            "000000010000000000000004"),
                    names.map(x -> x.getFileName().toString()).sorted().toList());
        }
        // PostgreSQL asking again (a receipt lost) finds the same bytes kept; other bytes under the name (a second
        // standby promoted in the same segment) are kept beside them, never over them, and never stop archiving
        assertEquals(
                WalShipper.Outcome.ALREADY_ARCHIVED,
                shipper.push(backup, 0).get(0).outcome());
        Files.writeString(backup, label + "LABEL: other\n");
        assertEquals(WalShipper.Outcome.ARCHIVED, shipper.push(backup, 0).get(0).outcome());
        assertEquals(
                WalShipper.Outcome.ALREADY_ARCHIVED,
                shipper.push(backup, 0).get(0).outcome());
        try (java.io.InputStream in = repo.codec()
                .open(repo.storage(), "wal/0000000100000000/000000010000000000000002.00000028.backup.zst", false)) {
            assertEquals(label, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
        try (Stream<Path> kept = Files.list(dir.resolve("repo/wal/0000000100000000"))) {
            assertEquals(
                    2,
                    kept.filter(f -> f.getFileName().toString().startsWith("000000010000000000000002.00000028.backup"))
                            .count());
        }
        // a file named like one that is none is refused, never kept
        Path notLabel = Files.writeString(spool.resolve("000000010000000000000004.00000028.backup"), "rm -rf /\n");
        assertEquals(
                ErrorCode.CORRUPT_OBJECT,
                assertThrows(PitrException.class, () -> shipper.push(notLabel, 0))
                        .code());
        Path shortPartial = Files.write(spool.resolve("000000010000000000000005.partial"), new byte[1000]);
        assertEquals(
                ErrorCode.USAGE,
                assertThrows(PitrException.class, () -> shipper.push(shortPartial, 0))
                        .code());
        // and rebuilding the catalog from storage passes over what is kept
        var rebuilt = new dev.pitr.catalog.CatalogRebuilder(repo, new java.io.PrintWriter(java.io.Writer.nullWriter()))
                .rebuild();
        assertEquals(List.of(), rebuilt.failures());
    }

    @Test
    void aKeptFileThatFailsDoesNotHoldUpTheSegmentsPushedAhead() throws Exception {
        Path status = Files.createDirectories(spool.resolve("archive_status"));
        segment("000000010000000000000002", 2);
        Files.writeString(spool.resolve("000000010000000000000002.00000028.backup"), "not a label\n");
        segment("000000010000000000000003", 3);
        Files.writeString(status.resolve("000000010000000000000002.00000028.backup.ready"), "");
        Files.writeString(status.resolve("000000010000000000000003.ready"), "");
        List<WalShipper.Shipped> shipped = shipper.push(spool.resolve("000000010000000000000002"), 256);
        assertEquals(
                List.of("000000010000000000000002", "000000010000000000000003"),
                shipped.stream().map(WalShipper.Shipped::fileName).toList());
        try (Stream<Path> names = Files.list(spool.resolve(WalShipper.RECEIPTS))) {
            assertEquals(
                    List.of("000000010000000000000003"),
                    names.map(x -> x.getFileName().toString()).toList());
        }
    }

    @Test
    void aKeptFileIsEncryptedInAnEncryptedRepository() throws Exception {
        byte[] kek = new byte[32];
        new Random(5).nextBytes(kek);
        Path partial = segment("000000010000000000000003.partial", 4);
        try (Repository encrypted = new Repository(
                new LocalStorage(dir.resolve("repo-encrypted")),
                SqliteCatalog.open(dir.resolve("catalog-encrypted.db")),
                new ObjectCodec(new Zstd(1), Keyring.of(SecretKeyWrapper.fromKey(kek), List.of())))) {
            WalShipper s = new WalShipper(encrypted, Clock.systemUTC());
            assertEquals(WalShipper.Outcome.ARCHIVED, s.push(partial, 0).get(0).outcome());
            String key = "wal/0000000100000000/000000010000000000000003.partial.zst";
            try (java.io.InputStream in = encrypted.codec().open(encrypted.storage(), key, true)) {
                assertTrue(java.util.Arrays.equals(Files.readAllBytes(partial), in.readAllBytes()));
            }
            assertEquals(
                    WalShipper.Outcome.ALREADY_ARCHIVED,
                    s.push(partial, 0).get(0).outcome());
        }
    }

    /** A record an earlier pitr wrote names no version: its own cluster's next segment adds it; a garbled one stops. */
    @Test
    void aRecordWithoutTheVersionGainsItAndAGarbledVersionIsRefused() throws Exception {
        repo.storage()
                .put(
                        ClusterIdentity.KEY,
                        java.util.Map.of(),
                        out -> out.write("{\"system_identifier\":\"7345000000000000001\"}"
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        shipper.ship(segmentOf("000000010000000000000002", 7345000000000000001L));
        assertEquals(java.util.OptionalInt.of(15), ClusterIdentity.recordedMajor(repo.storage()));

        repo.storage()
                .put(
                        ClusterIdentity.KEY,
                        java.util.Map.of(),
                        out -> out.write(
                                "{\"system_identifier\":\"7345000000000000001\",\"postgres_major\":\"fifteen\"}"
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Path next = segmentOf("000000010000000000000003", 7345000000000000001L);
        PitrException e =
                assertThrows(PitrException.class, () -> new WalShipper(repo, java.time.Clock.systemUTC()).ship(next));
        assertEquals(dev.pitr.error.ErrorCode.CORRUPT_OBJECT, e.code());
    }
}
