package dev.pitr.codec;

import dev.pitr.crypto.DataKey;
import dev.pitr.crypto.KeyWrapper;
import dev.pitr.crypto.Keyring;
import dev.pitr.crypto.MalformedEnvelopeException;
import dev.pitr.crypto.ObjectCipher;
import dev.pitr.crypto.WrongKeyException;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.storage.ObjectNotFoundException;
import dev.pitr.storage.Storage;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * The body format of every archived object: zstd, then, when the keyring has a current key, an OpenPGP encryption
 * under a fresh data key ({@link ObjectCipher}). The data key's envelope is stored before the body as its own small
 * object under {@link #envelopeKey}, so a rotation rewrites envelopes and never touches a body.
 *
 * <p>A body says what it is by its first byte (a zstd frame or an OpenPGP packet). A codec that writes encrypted
 * objects reads only encrypted ones: what the reader's own configuration says cannot be changed by whoever can write
 * to the bucket, while a plain object, its metadata and the catalog entry rebuilt from them can. A repository whose
 * early objects are plain (encryption turned on later) says so with {@link #acceptingPlain}. A codec that writes
 * plain objects reads both kinds, and a caller that knows an object was encrypted passes {@code mustBeEncrypted}. A reader gets the bytes only once they have passed every check: the
 * stream throws {@link IOException} at its end if the body was changed, cut short or swapped with another object's.
 */
public final class ObjectCodec {

    /** Where the envelope of object {@code k} lives: {@code envelopes/k}. */
    public static final String ENVELOPE_PREFIX = "envelopes/";

    /** Metadata on bodies and envelopes: the key-encryption key's id (on the body: the key it was written with). */
    public static final String KEY_ID = "pitr-key-id";

    /** Metadata on an encrypted body: the format, {@value #OPENPGP}. */
    public static final String ENCRYPTION = "pitr-encryption";

    public static final String OPENPGP = "openpgp-aes256";

    private static final int OPENPGP_SEIPD = 0xC0 | 18;
    /** Far above any envelope pitr writes (an RSA-4096 public-key envelope is under 1 KB). */
    static final int MAX_ENVELOPE_BYTES = 64 * 1024;

    private static final int ZSTD_MAGIC_FIRST = 0x28;

    /** What {@link #put} stored: the body's size and the key id its data key was wrapped with (null when plain). */
    public record Stored(long storedSize, String keyId) {}

    private final Zstd zstd;
    private final Keyring keyring;
    private final boolean plainAccepted;

    /** A codec that reads plain objects only when it writes them ({@code keyring} has no current key). */
    public ObjectCodec(Zstd zstd, Keyring keyring) {
        this(zstd, keyring, keyring.current().isEmpty());
    }

    private ObjectCodec(Zstd zstd, Keyring keyring, boolean plainAccepted) {
        this.zstd = zstd;
        this.keyring = keyring;
        this.plainAccepted = plainAccepted;
    }

    /** This codec reading plain objects too ({@code encryption.accept_plain}), or only when it writes them. */
    public ObjectCodec acceptingPlain(boolean accept) {
        return new ObjectCodec(zstd, keyring, accept || keyring.current().isEmpty());
    }

    /** Whether a plain object is read, where an encrypted one could stand. */
    public boolean plainAccepted() {
        return plainAccepted;
    }

    public Zstd zstd() {
        return zstd;
    }

    /** This codec compressing on {@code n} zstd workers ({@link Zstd#Zstd(int, int)}), for large objects. */
    public ObjectCodec withCompressionWorkers(int n) {
        return new ObjectCodec(zstd.withWorkers(n), keyring, plainAccepted);
    }

    public Keyring keyring() {
        return keyring;
    }

    public static String envelopeKey(String objectKey) {
        return ENVELOPE_PREFIX + objectKey;
    }

    /**
     * Stores {@code plain}'s bytes under {@code key}: compressed, and encrypted when a key is configured, in which case
     * the envelope is stored first (a body is never visible without the envelope that opens it).
     */
    public Stored put(Storage storage, String key, Map<String, String> metadata, Storage.Writer plain) {
        return store(storage, key, metadata, plain, true);
    }

    /**
     * Stores a body {@code frames} writes already compressed, as zstd frames (another program's, say), under {@code
     * key}: encrypted when a key is configured, not compressed again. {@link #open} reads it back as the frames' plain
     * bytes, as it reads what {@link #put} stored.
     */
    public Stored putCompressed(Storage storage, String key, Map<String, String> metadata, Storage.Writer frames) {
        return store(storage, key, metadata, frames, false);
    }

    private Stored store(
            Storage storage, String key, Map<String, String> metadata, Storage.Writer body, boolean compress) {
        if (keyring.current().isEmpty()) {
            return new Stored(
                    storage.put(key, metadata, out -> {
                        if (compress) {
                            compress(body, out);
                        } else {
                            body.writeTo(out);
                        }
                    }),
                    null);
        }
        KeyWrapper kek = keyring.current().get();
        KeyWrapper.Wrapped dk = kek.newDataKey();
        storage.put(envelopeKey(key), Map.of(KEY_ID, kek.keyId()), out -> out.write(dk.envelope()));
        Map<String, String> m = new HashMap<>(metadata);
        m.put(ENCRYPTION, OPENPGP);
        m.put(KEY_ID, kek.keyId());
        long stored = storage.put(key, m, out -> {
            try (OutputStream enc = compress
                    ? encryptingStream(out, dk.key())
                    : new HandoffOutputStream(ObjectCipher.encrypt(out, dk.key()))) {
                body.writeTo(enc);
            }
        });
        return new Stored(stored, kek.keyId());
    }

    private void compress(Storage.Writer plain, OutputStream out) throws IOException {
        try (OutputStream z = zstd.compress(out)) {
            plain.writeTo(z);
        }
    }

    /**
     * The encrypted body format as a stream: what is written is compressed on this thread and encrypted on another
     * (measured: encryption then costs almost no wall time beside compression); closing it finishes both and closes
     * {@code out}.
     */
    public OutputStream encryptingStream(OutputStream out, DataKey key) throws IOException {
        HandoffOutputStream handoff = new HandoffOutputStream(ObjectCipher.encrypt(out, key));
        OutputStream z;
        try {
            z = zstd.compress(handoff);
        } catch (IOException | RuntimeException e) {
            handoff.close();
            throw e;
        }
        return new java.io.FilterOutputStream(z) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                this.out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                // no flush first: a zstd flush would end a block early
                try {
                    this.out.close();
                } finally {
                    // idempotent; makes sure the other thread ends even when compression failed
                    handoff.close();
                }
            }
        };
    }

    /**
     * Opens {@code key} and returns its plain bytes. Storage errors and a missing object propagate as the storage
     * threw them; a body that is not a pitr object, or an encrypted body whose envelope no key held opens, is a {@link
     * PitrException} naming the object.
     */
    public InputStream open(Storage storage, String key, boolean mustBeEncrypted) throws IOException {
        InputStream raw = storage.open(key);
        try {
            PushbackInputStream body = new PushbackInputStream(raw, 1);
            int first = body.read();
            if (first >= 0) {
                body.unread(first);
            }
            if (first == OPENPGP_SEIPD) {
                DataKey dk = dataKey(storage, key);
                InputStream clear = ObjectCipher.decrypt(body, dk);
                return new Drained(zstd.decompress(clear), clear, raw);
            }
            if (mustBeEncrypted) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        key + " should be encrypted but is not: the body was replaced",
                        "restore the object from a bucket version or another copy; it is not used");
            }
            if (!plainAccepted) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        key
                                + " is not encrypted, and every object of this repository must be (encryption is configured)",
                        "restore the object from a bucket version or another copy; someone without the key may have put it there."
                                + " If the repository's early objects really are plain, set encryption.accept_plain: true");
            }
            if (first != ZSTD_MAGIC_FIRST) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        key + " is neither a zstd frame nor an encrypted pitr object (first byte " + first + ")",
                        "restore the object from a bucket version or another copy; it is not used");
            }
            return new Drained(zstd.decompress(body), body, raw);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Reads and opens the envelope of {@code key}: one GET. The keys held are tried in order (the current one first);
     * only when none opens it is the envelope's recorded key id read, to name it in the error.
     */
    public DataKey dataKey(Storage storage, String key) {
        String envKey = envelopeKey(key);
        byte[] envelope;
        try (InputStream in = storage.open(envKey)) {
            // envelopes are a few hundred bytes; a damaged repository must not make this read whatever it holds
            envelope = in.readNBytes(MAX_ENVELOPE_BYTES + 1);
            if (envelope.length > MAX_ENVELOPE_BYTES) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        envKey + " is larger than any key envelope (" + MAX_ENVELOPE_BYTES + " bytes)",
                        "restore the envelope from a bucket version; without it the object cannot be opened");
            }
        } catch (ObjectNotFoundException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    key + " is encrypted but its key envelope " + envKey + " is missing",
                    "restore the envelope from a bucket version; without it the object cannot be opened",
                    e);
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.STORAGE_UNAVAILABLE,
                    "cannot read " + envKey + ": " + e.getMessage(),
                    "run the command again",
                    e);
        }
        try {
            return keyring.unwrap(envelope);
        } catch (MalformedEnvelopeException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    key + ": its key envelope " + envKey + " is not one pitr writes: " + e.field(),
                    "restore the envelope from a bucket version or another copy; without it the object is not used",
                    e);
        } catch (WrongKeyException e) {
            String recorded;
            try {
                recorded = storage.metadata(envKey).get(KEY_ID);
            } catch (RuntimeException metadataFailed) {
                recorded = null;
            }
            throw new WrongKeyException(key + ": "
                    + (recorded == null ? "" : "its data key is wrapped by " + recorded + "; ") + e.getMessage());
        }
    }

    /**
     * Reads its source to the very end when the reader reaches the end, so that checks which run at the end of a
     * stream (the encryption's integrity code, trailing zstd frames) run before the reader sees end of data.
     */
    private static final class Drained extends FilterInputStream {
        private final InputStream source;
        private final InputStream raw;

        Drained(InputStream in, InputStream source, InputStream raw) {
            super(in);
            this.source = source;
            this.raw = raw;
        }

        /**
         * Closes the decoders and the stored body itself: the decryption's streams do not pass a close on to what they
         * read, and a body left open holds its connection to storage.
         */
        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                raw.close();
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n;
            while ((n = read(one, 0, 1)) == 0) {
                // a filter may return 0 bytes; read again
            }
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n < 0) {
                byte[] rest = new byte[8192];
                while (source.read(rest) >= 0) {
                    // nothing should follow; reading it runs the end-of-stream checks
                }
            }
            return n;
        }
    }
}
