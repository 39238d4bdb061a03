package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.codec.Zstd;
import dev.pitr.crypto.Keyring;
import dev.pitr.storage.LocalStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotPartsTest {

    static final SnapshotId ID = new SnapshotId("20260101T000000Z");
    static final String SHA = "a".repeat(64);
    static final String RUN = "0123456789ab";

    static SnapshotParts twoParts() {
        return new SnapshotParts(List.of(
                new SnapshotParts.Part(
                        SnapshotParts.partKey(ID, RUN, 0), SHA, 3072, 100, List.of("base/", "base/1/", "PG_VERSION")),
                new SnapshotParts.Part(
                        SnapshotParts.partKey(ID, RUN, 1), "crc32c:0badf00d", 1 << 30, 5, List.of("base/1/1"))));
    }

    @Test
    void anIndexWrittenBeforeCrc32cReadsItsSha256s() throws IOException {
        String key = SnapshotParts.indexKey(ID, RUN);
        byte[] json = ("{\"version\":1,\"parts\":[{\"key\":\"" + SnapshotParts.partKey(ID, RUN, 0) + "\",\"sha256\":\""
                        + SHA + "\",\"plain_size\":1,\"stored_size\":1,\"entries\":[\"a\"]}]}")
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(SHA, SnapshotParts.parse(json, key).parts().get(0).checksum());
        assertTrue(new String(twoParts().json(), StandardCharsets.UTF_8).contains("\"checksum\":\"crc32c:0badf00d\""));
    }

    @Test
    void theIndexReadsBackAsItWasWritten() throws IOException {
        SnapshotParts parts = twoParts();
        String key = SnapshotParts.indexKey(ID, RUN);
        assertEquals(parts, SnapshotParts.parse(parts.json(), key));
        assertEquals(3072 + (1L << 30), parts.plainSize());
        assertEquals(105, parts.storedSize());
        assertEquals("snapshots/20260101T000000Z/base.0123456789ab.00001.tar.zst", SnapshotParts.partKey(ID, RUN, 1));
        assertEquals("snapshots/20260101T000000Z/parts.0123456789ab.json", key);
        assertTrue(SnapshotParts.isIndex(key));
        assertFalse(SnapshotParts.isIndex("snapshots/20260101T000000Z/base.tar.zst"));
        assertFalse(SnapshotParts.isIndex("snapshots/20260101T000000Z/parts.json"));
        String one = SnapshotParts.serverCompressedKey(new SnapshotId("20260101T000000Z"), SnapshotParts.newRun());
        assertTrue(SnapshotParts.isServerCompressed(one), one);
        assertFalse(SnapshotParts.isIndex(one));
        assertFalse(SnapshotParts.isServerCompressed(key));
        assertFalse(SnapshotParts.isServerCompressed("snapshots/20260101T000000Z/base.tar.zst"));
        assertFalse(SnapshotParts.isServerCompressed(
                SnapshotParts.partKey(new SnapshotId("20260101T000000Z"), "abcdef012345", 0)));
    }

    @Test
    void anIndexNamingAnObjectOutsideItsSnapshotOrNotAnIndexIsRefused() {
        String key = SnapshotParts.indexKey(ID, RUN);
        for (String part : List.of(
                "snapshots/20260101T000000Z-1/base.0123456789ab.00000.tar.zst",
                "snapshots/20260101T000000Z/x/base.0123456789ab.00000.tar.zst",
                "snapshots/20260101T000000Z/base.ffffffffffff.00000.tar.zst",
                "wal/0000000100000000/000000010000000000000001.zst",
                key)) {
            byte[] json = ("{\"version\":1,\"parts\":[{\"key\":\"" + part + "\",\"sha256\":\"" + SHA
                            + "\",\"plain_size\":1,\"stored_size\":1,\"entries\":[]}]}")
                    .getBytes(StandardCharsets.UTF_8);
            assertThrows(IOException.class, () -> SnapshotParts.parse(json, key), part);
        }
        for (String json : List.of(
                "{}",
                "[]",
                "{\"version\":2,\"parts\":[]}",
                "{\"version\":1,\"parts\":[{\"key\":\"snapshots/20260101T000000Z/base.0123456789ab.00000.tar.zst\","
                        + "\"sha256\":\"x\",\"plain_size\":1,\"stored_size\":1,\"entries\":[\"a\"]}]}",
                "{\"version\":1,\"parts\":[{\"key\":\"snapshots/20260101T000000Z/base.0123456789ab.00000.tar.zst\","
                        + "\"sha256\":\"" + SHA + "\",\"entries\":[\"a\"]}]}",
                // a part that names nothing would be passed over by every restore
                "{\"version\":1,\"parts\":[{\"key\":\"snapshots/20260101T000000Z/base.0123456789ab.00000.tar.zst\","
                        + "\"sha256\":\"" + SHA + "\",\"plain_size\":1,\"stored_size\":1}]}",
                "not json")) {
            assertThrows(
                    IOException.class, () -> SnapshotParts.parse(json.getBytes(StandardCharsets.UTF_8), key), json);
        }
    }

    @Test
    void readingChecksTheIndexAgainstTheSnapshotsRecord(@TempDir Path dir) throws IOException {
        LocalStorage storage = new LocalStorage(dir);
        ObjectCodec codec = new ObjectCodec(new Zstd(3), Keyring.none());
        SnapshotParts parts = twoParts();
        byte[] json = parts.json();
        String key = SnapshotParts.indexKey(ID, RUN);
        codec.put(storage, key, Map.of(), out -> out.write(json));
        assertEquals(parts, SnapshotParts.read(codec, storage, record(key, Sha256.of(json))));
        IOException e = assertThrows(IOException.class, () -> SnapshotParts.read(codec, storage, record(key, SHA)));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    private static SnapshotRecord record(String key, String sha) {
        return new SnapshotRecord(
                ID,
                "test",
                SnapshotRecord.Status.COMPLETE,
                dev.pitr.wal.TimelineId.of(1),
                dev.pitr.wal.Lsn.parse("0/2000028"),
                dev.pitr.wal.Lsn.parse("0/2000100"),
                Instant.EPOCH,
                Instant.EPOCH,
                dev.pitr.wal.WalFileName.of("000000010000000000000002"),
                dev.pitr.wal.WalFileName.of("000000010000000000000002"),
                1,
                1,
                sha,
                key,
                null,
                null,
                RetentionState.RETAINED);
    }
}
