package dev.pitr.crypto;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPSessionKey;
import org.bouncycastle.openpgp.PGPSessionKeyEncryptedData;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.jcajce.JceSessionKeyDataDecryptorFactoryBuilder;

/**
 * The encrypted body of an archived object: one OpenPGP message (RFC 4880) made of a Symmetrically Encrypted
 * Integrity Protected Data packet (AES-256, with its SHA-1 modification detection code) around a binary literal data
 * packet, encrypted with the object's own {@link DataKey}. The message carries no key packet: the data key, wrapped
 * by the key-encryption key, lives apart from the body, so rotating the key-encryption key rewrites only those small
 * envelopes. Standard tools read it: {@code gpg --override-session-key 9:HEX --decrypt}.
 *
 * <p>Writing uses the JDK's AES (intrinsified; measured several times faster than a pure-Java cipher); reading uses
 * Bouncy Castle's OpenPGP parser on the same JDK cipher, which also keeps the writer honest against an independent
 * implementation. A flipped byte, a truncation or another object's body (which has another data key) fails the
 * integrity check; the reader throws at the end of the stream, so callers hand nothing on before that.
 */
public final class ObjectCipher {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int CHUNK = 1 << 16;

    private ObjectCipher() {}

    /** Encrypts what is written into {@code sink}; closing the returned stream finishes the message and closes sink. */
    public static OutputStream encrypt(OutputStream sink, DataKey key) throws IOException {
        Cipher aes;
        try {
            aes = Cipher.getInstance("AES/CFB/NoPadding");
            // OpenPGP CFB: a zero IV, with the random prefix as the first plaintext block
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key.bytes(), "AES"), new IvParameterSpec(new byte[16]));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES is not available", e);
        }
        PacketStream seipd = new PacketStream(sink, 18);
        seipd.write(1); // version
        EncryptingStream enc = new EncryptingStream(seipd, aes);
        byte[] prefix = new byte[18];
        RANDOM.nextBytes(prefix);
        prefix[16] = prefix[14];
        prefix[17] = prefix[15];
        enc.write(prefix);
        PacketStream literal = new PacketStream(enc, 11);
        literal.write(new byte[] {'b', 0, 0, 0, 0, 0}); // binary, no file name, no date
        return new FilterOutputStream(literal) {
            private boolean closed;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                literal.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                literal.finish();
                enc.writeMdc();
                enc.finish();
                seipd.finish();
                sink.close();
            }
        };
    }

    /**
     * Decrypts a body written by {@link #encrypt}. The returned stream throws {@link IOException} at its end if the
     * integrity check fails, and at once if the key does not fit.
     */
    public static InputStream decrypt(InputStream source, DataKey key) throws IOException {
        // the packet header and version first: only the encrypted data packet pitr writes reaches the parser
        java.io.PushbackInputStream in = new java.io.PushbackInputStream(source, 7);
        byte[] head = in.readNBytes(7);
        in.unread(head);
        if (!isPitrsHeader(head)) {
            throw new IOException(
                    "not an encrypted pitr object (an OpenPGP version 1 encrypted data packet, new format, in "
                            + "64 KiB parts or of one length)");
        }
        try {
            Object first = new JcaPGPObjectFactory(in).nextObject();
            if (!(first instanceof PGPEncryptedDataList list)) {
                throw new IOException("not an encrypted pitr object");
            }
            PGPSessionKeyEncryptedData data = list.extractSessionKeyEncryptedData();
            InputStream clear = data.getDataStream(new JceSessionKeyDataDecryptorFactoryBuilder()
                    .build(new PGPSessionKey(DataKey.OPENPGP_AES_256, key.bytes())));
            Object inner = new JcaPGPObjectFactory(OpenPgpEnvelopes.literalOnly(clear)).nextObject();
            if (!(inner instanceof PGPLiteralData literal)) {
                throw new IOException("the encrypted object holds no data (wrong key?)");
            }
            return new Verifying(literal.getInputStream(), data);
        } catch (PGPException | RuntimeException e) {
            throw new IOException("cannot decrypt: " + e.getMessage(), e);
        }
    }

    /**
     * True when {@code head} starts the way {@link #encrypt} writes a body: a new-format encrypted data packet (type 18)
     * whose length is a 64 KiB partial body or a one-, two- or five-octet length, and version 1. Version 2 is AEAD, whose
     * chunk size octet the parser would allocate by (found by fuzzing).
     */
    static boolean isPitrsHeader(byte[] head) {
        if (head.length < 3 || (head[0] & 0xff) != (0xC0 | 18)) {
            return false;
        }
        int o1 = head[1] & 0xff;
        int version = o1 < 192 || o1 == 0xE0 + 16 ? 2 : o1 < 224 ? 3 : o1 == 255 ? 6 : -1;
        return version > 0 && version < head.length && head[version] == 1;
    }

    /** Checks the modification detection code once the data is read to its end. */
    private static final class Verifying extends FilterInputStream {
        private final PGPSessionKeyEncryptedData data;
        private boolean verified;

        Verifying(InputStream in, PGPSessionKeyEncryptedData data) {
            super(in);
            this.data = data;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = in.read(b, off, len);
            } catch (RuntimeException e) {
                throw new IOException("cannot decrypt: " + e.getMessage(), e);
            }
            if (n < 0 && !verified) {
                try {
                    if (!data.verify()) {
                        throw new IOException(
                                "integrity check failed: the object was changed, cut short or encrypted with another key");
                    }
                } catch (PGPException | RuntimeException e) {
                    throw new IOException("integrity check failed: " + e.getMessage(), e);
                }
                verified = true;
            }
            return n;
        }
    }

    /** Encrypts into the packet, keeping the SHA-1 of all plaintext for the modification detection code. */
    private static final class EncryptingStream extends OutputStream {
        private final PacketStream out;
        private final Cipher aes;
        private final MessageDigest sha1;
        /** Reused for the cipher's output, so that encrypting allocates nothing per write. */
        private byte[] buf = new byte[1 << 16];

        EncryptingStream(PacketStream out, Cipher aes) {
            this.out = out;
            this.aes = aes;
            try {
                this.sha1 = MessageDigest.getInstance("SHA-1");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            sha1.update(b, off, len);
            if (buf.length < len) {
                buf = new byte[Math.max(len, 1 << 16)];
            }
            try {
                int n = aes.update(b, off, len, buf, 0);
                out.write(buf, 0, n);
            } catch (GeneralSecurityException e) {
                throw new IOException(e);
            }
        }

        void writeMdc() throws IOException {
            write(new byte[] {(byte) 0xD3, 0x14}, 0, 2);
            byte[] c = aes.update(sha1.digest());
            if (c != null) {
                out.write(c);
            }
        }

        void finish() throws IOException {
            try {
                out.write(aes.doFinal());
            } catch (GeneralSecurityException e) {
                throw new IOException(e);
            }
        }
    }

    /** An OpenPGP new-format packet of unknown length: partial body chunks of 64 KiB, then a final length. */
    private static final class PacketStream extends OutputStream {
        private final OutputStream out;
        private final byte[] buf = new byte[CHUNK];
        private int len;

        PacketStream(OutputStream out, int tag) throws IOException {
            this.out = out;
            out.write(0xC0 | tag);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int n) throws IOException {
            while (n > 0) {
                if (len == CHUNK) {
                    out.write(0xE0 | 16); // a partial body of 2^16 bytes
                    out.write(buf, 0, CHUNK);
                    len = 0;
                }
                int k = Math.min(n, CHUNK - len);
                System.arraycopy(b, off, buf, len, k);
                len += k;
                off += k;
                n -= k;
            }
        }

        void finish() throws IOException {
            if (len < 192) {
                out.write(len);
            } else if (len < 8384) {
                out.write(((len - 192) >> 8) + 192);
                out.write((len - 192) & 0xFF);
            } else {
                out.write(0xFF);
                out.write(len >>> 24);
                out.write(len >>> 16);
                out.write(len >>> 8);
                out.write(len);
            }
            out.write(buf, 0, len);
            len = 0;
        }
    }
}
