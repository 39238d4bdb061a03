package dev.pitr.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEDataDecryptorFactoryBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEKeyEncryptionMethodGenerator;

/**
 * A symmetric key-encryption key: 32 secret bytes, either read from a key file or derived from a passphrase with
 * Argon2id (memory-hard). Envelopes are OpenPGP password-encrypted messages whose password is the key in hex, so the
 * emergency path is {@code gpg --passphrase HEX --decrypt}; for a passphrase the hex comes from the {@code argon2}
 * command with the recorded salt and parameters.
 */
public final class SecretKeyWrapper implements KeyWrapper {

    /** The Argon2id cost: 3 passes over 64 MiB, one lane (RFC 9106's second recommended option). */
    @SuppressWarnings("ArrayRecordComponent") // compared field by field where it matters, never hashed
    public record KdfParams(byte[] salt, int iterations, int memoryKiB, int lanes) {
        public static KdfParams defaults(byte[] salt) {
            return new KdfParams(salt, 3, 65536, 1);
        }
    }

    private final byte[] kek;
    private final String keyId;

    private SecretKeyWrapper(byte[] kek, String kind) {
        if (kek.length != 32) {
            throw new IllegalArgumentException("a key-encryption key is 32 bytes");
        }
        this.kek = kek.clone();
        this.keyId = kind + ":" + fingerprint(kek);
    }

    /** From the 32 bytes of a key file. */
    public static SecretKeyWrapper fromKey(byte[] kek) {
        return new SecretKeyWrapper(kek, "key");
    }

    /** From a passphrase, through Argon2id with {@code params}. */
    public static SecretKeyWrapper fromPassphrase(char[] passphrase, KdfParams params) {
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withSalt(params.salt())
                .withIterations(params.iterations())
                .withMemoryAsKB(params.memoryKiB())
                .withParallelism(params.lanes())
                .build());
        byte[] out = new byte[32];
        gen.generateBytes(passphrase, out);
        return new SecretKeyWrapper(out, "passphrase");
    }

    @Override
    public String keyId() {
        return keyId;
    }

    @Override
    public byte[] wrap(DataKey key) {
        return OpenPgpEnvelopes.seal(key, new JcePBEKeyEncryptionMethodGenerator(password()));
    }

    @Override
    public DataKey unwrap(byte[] envelope) {
        for (Object o : OpenPgpEnvelopes.parse(envelope, EnvelopeFormat.Kind.SECRET_KEY)) {
            if (o instanceof PGPPBEEncryptedData pbe) {
                try {
                    return OpenPgpEnvelopes.open(
                            pbe,
                            pbe.getDataStream(new JcePBEDataDecryptorFactoryBuilder(
                                            new JcaPGPDigestCalculatorProviderBuilder().build())
                                    .build(password())));
                } catch (PGPException e) {
                    throw new WrongKeyException("the key envelope was not made with " + keyId);
                }
            }
        }
        throw new WrongKeyException("the key envelope was not made with a secret key");
    }

    /** The key in hex: the OpenPGP password of the envelopes. */
    private char[] password() {
        return HexFormat.of().formatHex(kek).toCharArray();
    }

    private static String fingerprint(byte[] kek) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("pitr key id".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(d.digest(kek), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
