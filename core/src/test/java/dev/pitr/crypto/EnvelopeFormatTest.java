package dev.pitr.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Only the envelope shape pitr writes is accepted, field by field; what differs is named. */
class EnvelopeFormatTest {

    private static final SecretKeyWrapper KEY = SecretKeyWrapper.fromKey(new byte[32]);
    private static final byte[] WRITTEN = KEY.wrap(DataKey.generate());

    private static String refusal(byte[] envelope) {
        MalformedEnvelopeException e = assertThrows(
                MalformedEnvelopeException.class,
                () -> EnvelopeFormat.check(envelope),
                () -> HexFormat.of().formatHex(envelope));
        assertEquals(ErrorCode.CORRUPT_OBJECT, e.code());
        return e.field();
    }

    private static byte[] with(byte[] b, int pos, int value) {
        byte[] c = b.clone();
        c[pos] = (byte) value;
        return c;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** The encrypted data packet of a real envelope, after its session key packet. */
    private static byte[] encryptedData() {
        return Arrays.copyOfRange(WRITTEN, 15, WRITTEN.length);
    }

    @Test
    void whatPitrWritesIsAcceptedAndItsSaltAndCiphertextAreNotFields() {
        assertEquals(15 + 2 + EnvelopeFormat.ENCRYPTED_DATA_BYTES, WRITTEN.length);
        assertEquals(EnvelopeFormat.Kind.SECRET_KEY, EnvelopeFormat.check(WRITTEN));
        for (int salt = 6; salt < 14; salt++) {
            assertEquals(EnvelopeFormat.Kind.SECRET_KEY, EnvelopeFormat.check(with(WRITTEN, salt, WRITTEN[salt] + 1)));
        }
        assertEquals(EnvelopeFormat.Kind.SECRET_KEY, EnvelopeFormat.check(with(WRITTEN, WRITTEN.length - 1, 0)));
    }

    @Test
    void everyOtherFieldOfTheSymmetricEnvelopeIsCheckedByName() {
        assertTrue(refusal(with(WRITTEN, 0, 0x8C)).contains("header"));
        assertTrue(refusal(with(WRITTEN, 0, 0xC2)).contains("first packet is of type 2"));
        assertTrue(refusal(with(WRITTEN, 1, 14)).contains("session key packet is 14 bytes"));
        assertTrue(refusal(with(WRITTEN, 2, 5)).contains("version is 5"));
        assertTrue(refusal(with(WRITTEN, 3, 7)).contains("cipher"));
        assertTrue(refusal(with(WRITTEN, 4, 1)).contains("S2K type"));
        assertTrue(refusal(with(WRITTEN, 5, 8)).contains("S2K hash"));
        assertTrue(refusal(with(WRITTEN, 14, 0xFF)).contains("S2K count octet is 255"));
        assertTrue(refusal(with(WRITTEN, 15, 0xC9)).contains("second packet is of type 9"));
        assertTrue(refusal(with(WRITTEN, 16, 0xE0)).contains("length octet is 224"));
        assertTrue(refusal(with(WRITTEN, 16, 115)).contains("encrypted data packet is 115 bytes"));
        assertTrue(refusal(with(WRITTEN, 17, 2)).contains("encrypted data packet's version is 2"));
        assertTrue(refusal(concat(WRITTEN, new byte[1])).contains("1 bytes follow"));
    }

    @Test
    void everyTruncationIsRefused() {
        for (int n = 0; n < WRITTEN.length; n++) {
            refusal(Arrays.copyOf(WRITTEN, n));
        }
    }

    /** RFC 9580's Argon2 S2K (type 4) makes the parser allocate what its memory octet asks: the fuzzer's OOM. */
    @Test
    void anArgon2S2kIsRefusedBeforeAnyParserSeesIt() {
        byte[] argon2 = concat(
                HexFormat.of().parseHex("c3180409040211223344556677889900112233445566778801041f"), encryptedData());
        argon2[1] = 24;
        assertTrue(
                refusal(argon2).contains("its S2K type (pitr writes an iterated and salted S2K) is 4"),
                refusal(argon2));
    }

    @Test
    void publicKeyEnvelopesAreCheckedForTheAlgorithmsPitrSupports() {
        byte[] keyId = HexFormat.of().parseHex("0102030405060708");
        // RSA: one MPI of the bits it says
        byte[] rsaBody = concat(new byte[] {3}, keyId, new byte[] {1, 0x08, 0x00}, new byte[256]);
        byte[] rsa = concat(
                new byte[] {
                    (byte) 0xC1, (byte) (192 + ((rsaBody.length - 192) >> 8)), (byte) ((rsaBody.length - 192) & 0xff)
                },
                rsaBody,
                encryptedData());
        assertEquals(EnvelopeFormat.Kind.PUBLIC_KEY, EnvelopeFormat.check(rsa));
        byte[] huge = concat(
                new byte[] {(byte) 0xC1, 12},
                new byte[] {3},
                keyId,
                new byte[] {1, (byte) 0xFF, (byte) 0xFF},
                encryptedData());
        assertTrue(refusal(huge).contains("65535 bits"), refusal(huge));
        // Curve25519 ECDH: the 263-bit native point, then a wrapped key of a multiple of 8 bytes
        byte[] ecdhBody = concat(
                new byte[] {3}, keyId, new byte[] {18, 0x01, 0x07, 0x40}, new byte[32], new byte[] {48}, new byte[48]);
        byte[] ecdh = concat(new byte[] {(byte) 0xC1, (byte) ecdhBody.length}, ecdhBody, encryptedData());
        assertEquals(EnvelopeFormat.Kind.PUBLIC_KEY, EnvelopeFormat.check(ecdh));
        assertTrue(refusal(with(ecdh, 12, 0x08)).contains("ECDH point has 2055 bits"));
        assertTrue(refusal(with(ecdh, 47, 47)).contains("wrapped session key is 47 bytes"));
        // DSA, ElGamal, NIST curves, X25519 of RFC 9580: pitr writes none of them
        for (int algorithm : List.of(16, 17, 19, 22, 25)) {
            assertTrue(refusal(with(ecdh, 11, algorithm)).contains("public-key algorithm is " + algorithm));
        }
        assertTrue(refusal(with(ecdh, 2, 6)).contains("public-key session key packet's version is 6"));
    }

    @Test
    void anEnvelopeOfTheOtherKindIsAWrongKeyNotADamagedOne() {
        byte[] keyId = HexFormat.of().parseHex("0102030405060708");
        byte[] ecdhBody = concat(
                new byte[] {3}, keyId, new byte[] {18, 0x01, 0x07, 0x40}, new byte[32], new byte[] {48}, new byte[48]);
        byte[] ecdh = concat(new byte[] {(byte) 0xC1, (byte) ecdhBody.length}, ecdhBody, encryptedData());
        WrongKeyException e = assertThrows(WrongKeyException.class, () -> KEY.unwrap(ecdh));
        assertEquals(ErrorCode.KEY_UNAVAILABLE, e.code());
    }

    @Test
    void aKeyringCallsAnEnvelopeDamagedOnlyWhenNoKeyItHoldsCanReadIt() {
        SecretKeyWrapper other = SecretKeyWrapper.fromKey(HexFormat.of().parseHex("11".repeat(32)));
        Keyring ring = Keyring.of(other, List.of(KEY));
        assertEquals(
                ErrorCode.CORRUPT_OBJECT,
                assertThrows(MalformedEnvelopeException.class, () -> ring.unwrap(with(WRITTEN, 4, 4)))
                        .code());
        Keyring wrong = Keyring.of(other, List.of());
        assertEquals(
                ErrorCode.KEY_UNAVAILABLE,
                assertThrows(WrongKeyException.class, () -> wrong.unwrap(WRITTEN))
                        .code());
    }
}
