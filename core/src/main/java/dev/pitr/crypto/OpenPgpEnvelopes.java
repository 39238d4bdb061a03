package dev.pitr.crypto;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Date;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PGPKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;

/**
 * Envelopes as OpenPGP messages whose content is the data key in gpg's session-key form ({@code 9:HEX}), so that
 * {@code gpg --decrypt} opens an envelope with the passphrase or private key and its output feeds {@code
 * --override-session-key}.
 */
final class OpenPgpEnvelopes {

    private OpenPgpEnvelopes() {}

    @SuppressWarnings("JavaUtilDate") // Bouncy Castle's literal-data packet takes a Date; it is the fixed epoch
    static byte[] seal(DataKey key, PGPKeyEncryptionMethodGenerator method) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PGPEncryptedDataGenerator gen =
                    new PGPEncryptedDataGenerator(new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
                            .setWithIntegrityPacket(true)
                            .setSecureRandom(new SecureRandom()));
            gen.addMethod(method);
            byte[] content = (key.sessionKey() + "\n").getBytes(StandardCharsets.US_ASCII);
            try (OutputStream enc = gen.open(out, new byte[4096]);
                    OutputStream lit = new PGPLiteralDataGenerator()
                            .open(enc, PGPLiteralData.BINARY, "", content.length, new Date(0))) {
                lit.write(content);
            }
            byte[] envelope = out.toByteArray();
            // never write an envelope the reader would refuse: a library upgrade that changes what it writes fails here
            EnvelopeFormat.check(envelope);
            return envelope;
        } catch (IOException | PGPException e) {
            throw new IllegalStateException("cannot seal a data key: " + e.getMessage(), e);
        }
    }

    /**
     * The encrypted-data list of an envelope made for {@code kind} of key, for a wrapper to pick its own key packet
     * from. Only an envelope in the exact shape pitr writes reaches the OpenPGP parser ({@link EnvelopeFormat}).
     *
     * @throws MalformedEnvelopeException when it is not in that shape
     * @throws WrongKeyException when it is, but for the other kind of key
     */
    static PGPEncryptedDataList parse(byte[] envelope, EnvelopeFormat.Kind kind) {
        EnvelopeFormat.Kind made = EnvelopeFormat.check(envelope);
        if (made != kind) {
            throw new WrongKeyException(
                    made == EnvelopeFormat.Kind.PUBLIC_KEY
                            ? "the key envelope was made for an OpenPGP public key, not a key file or passphrase"
                            : "the key envelope was made with a key file or passphrase, not an OpenPGP public key");
        }
        try {
            Object o = new JcaPGPObjectFactory(new ByteArrayInputStream(envelope)).nextObject();
            if (o instanceof PGPEncryptedDataList list) {
                return list;
            }
        } catch (IOException | RuntimeException e) {
            throw new MalformedEnvelopeException(e.getMessage());
        }
        throw new MalformedEnvelopeException("it holds no encrypted data");
    }

    /**
     * {@code clear}, the decrypted content of an envelope or a body, if it starts with the literal data packet header
     * pitr writes there: new format, type 11, a length (one, two or five octets, or a partial body of 64 KiB), binary
     * format, no file name, date 0. Decrypted with the wrong key (or damaged) it is noise, which the OpenPGP parser would
     * otherwise read as whatever packets it seems to hold before the integrity check runs at the end (found by fuzzing:
     * noise read as a signature packet whose fields claimed gigabytes).
     */
    static InputStream literalOnly(InputStream clear) throws IOException {
        PushbackInputStream in = new PushbackInputStream(clear, LITERAL_HEADER_MAX);
        byte[] head = in.readNBytes(LITERAL_HEADER_MAX);
        in.unread(head);
        int p = 0;
        if (head.length < 2 || (head[p++] & 0xff) != (0xC0 | 11)) {
            throw new IOException("the encrypted content is not literal data (wrong key, or damaged)");
        }
        int o1 = head[p++] & 0xff;
        if (o1 >= 192 && o1 < 224) {
            p += 1;
        } else if (o1 == 255) {
            p += 4;
        } else if (o1 >= 224 && o1 != 0xE0 + 16) {
            throw new IOException(
                    "the encrypted content's literal data has partial lengths pitr does not write (wrong key, or damaged)");
        }
        for (int b : LITERAL_FORMAT) {
            if (p >= head.length || (head[p++] & 0xff) != b) {
                throw new IOException(
                        "the encrypted content's literal data header is not pitr's (wrong key, or damaged)");
            }
        }
        return in;
    }

    /** Binary format, a file name of 0 bytes, a date of 0: the literal data header's fields pitr writes. */
    private static final int[] LITERAL_FORMAT = {'b', 0, 0, 0, 0, 0};

    /** The tag octet, the longest length (five octets) and the format fields. */
    private static final int LITERAL_HEADER_MAX = 1 + 5 + LITERAL_FORMAT.length;

    /** Reads the data key out of opened encrypted data and checks its integrity. */
    static DataKey open(PGPEncryptedData data, InputStream clear) {
        try {
            Object o = new JcaPGPObjectFactory(literalOnly(clear)).nextObject();
            if (!(o instanceof PGPLiteralData lit)) {
                throw new WrongKeyException("the key envelope holds no key");
            }
            byte[] content = lit.getInputStream().readAllBytes();
            if (!data.verify()) {
                throw new WrongKeyException("the key envelope failed its integrity check");
            }
            return DataKey.parseSessionKey(new String(content, StandardCharsets.US_ASCII));
        } catch (IOException | PGPException | RuntimeException e) {
            // Bouncy Castle's parser answers some malformed packets with runtime exceptions (a ClassCastException was
            // found by fuzzing): a damaged envelope is refused like any other that this key does not open
            throw new WrongKeyException("cannot open the key envelope: " + e.getMessage());
        }
    }
}
