package dev.pitr.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChecksumTest {

    private static final byte[] CHECK = "123456789".getBytes(StandardCharsets.US_ASCII);

    @Test
    void crc32cIsTheCastagnoliCheckValueTagged() {
        // the check value of CRC-32C over "123456789" (RFC 3720, iSCSI)
        assertEquals("crc32c:e3069283", Checksum.crc32cOf(CHECK));
    }

    @Test
    void sha256IsSixtyFourHexDigitsAlone() {
        assertEquals(Sha256.of(CHECK), Checksum.of(CHECK, Sha256.of(new byte[0])));
    }

    @Test
    void aRecordedValueNamesTheAlgorithmToCheckWith() {
        String crc = Checksum.crc32cOf(CHECK);
        String sha = Sha256.of(CHECK);
        assertEquals(crc, Checksum.of(CHECK, crc));
        assertEquals(sha, Checksum.of(CHECK, sha));
        byte[] other = "123456780".getBytes(StandardCharsets.US_ASCII);
        assertNotEquals(crc, Checksum.of(other, crc));
        assertNotEquals(sha, Checksum.of(other, sha));
    }

    @Test
    void encryptedBodiesAreSummedWithACrcAndPlainOnesWithASha256() {
        assertTrue(Checksum.forBodies(true).isCrc32c());
        assertFalse(Checksum.forBodies(false).isCrc32c());
        assertTrue(Checksum.sameKind("crc32c:00000000", "crc32c:ffffffff"));
        assertTrue(Checksum.sameKind("a".repeat(64), "b".repeat(64)));
        assertFalse(Checksum.sameKind("crc32c:00000000", "a".repeat(64)));
    }

    @Test
    void onlyTheFormsPitrRecordsAreTaken() {
        assertTrue(Checksum.isValid("crc32c:00000000"));
        assertTrue(Checksum.isValid("a".repeat(64)));
        for (String bad : new String[] {
            null,
            "",
            "crc32c:",
            "crc32c:0000000",
            "crc32c:000000000",
            "CRC32C:00000000",
            "crc32c:0000000G",
            "A".repeat(64),
            "a".repeat(63),
            "xxh3:0000000000000000",
            "sha256:" + "a".repeat(64)
        }) {
            assertFalse(Checksum.isValid(bad), String.valueOf(bad));
            assertThrows(IllegalArgumentException.class, () -> Checksum.like(bad), String.valueOf(bad));
        }
    }

    @Test
    void aCatalogEntryWithNoChecksumPitrWritesIsDamage() {
        assertTrue(Checksum.recordedFor("000000010000000000000002", "crc32c:00000000")
                .isCrc32c());
        dev.pitr.error.PitrException e = assertThrows(
                dev.pitr.error.PitrException.class, () -> Checksum.recordedFor("000000010000000000000002", "x"));
        assertEquals(dev.pitr.error.ErrorCode.CORRUPT_OBJECT, e.code());
    }

    @Test
    void bufferArrayAndStreamsSumAlike() throws IOException {
        byte[] data = new byte[300_000];
        new java.util.Random(7).nextBytes(data);
        String want = Checksum.crc32cOf(data);

        Checksum direct = Checksum.crc32c();
        ByteBuffer mapped = ByteBuffer.allocateDirect(data.length).put(data).flip();
        direct.update(mapped);
        assertEquals(want, direct.value());
        assertEquals(data.length, direct.bytes());
        assertEquals(data.length, mapped.position());

        Checksum read = Checksum.crc32c();
        try (InputStream in = read.wrap(new ByteArrayInputStream(data))) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        assertEquals(want, read.value());

        Checksum written = Checksum.crc32c();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (OutputStream out = written.wrap(sink)) {
            out.write(data, 0, 10);
            out.write(data[10]);
            out.write(data, 11, data.length - 11);
        }
        assertEquals(want, written.value());
        assertEquals(data.length, sink.size());

        String sha = Sha256.of(data);
        Checksum shaBuffer = Checksum.like(sha);
        shaBuffer.update(ByteBuffer.wrap(data));
        assertEquals(sha, shaBuffer.value());
    }
}
