package dev.pitr.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.Iterator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.jcajce.JcaPGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyDataDecryptorFactory;
import org.bouncycastle.openpgp.operator.bc.BcPublicKeyKeyEncryptionMethodGenerator;

/**
 * An OpenPGP key pair as the key-encryption key. The archiver host is given only the public key: it wraps data keys
 * for it and can never unwrap them. The restore host is given the secret key (an export of {@code gpg
 * --export-secret-keys --armor}, optionally passphrase-protected), and {@code gpg --decrypt} opens an envelope with
 * it as well. RSA and Curve25519 (gpg's default {@code cv25519}) keys both work: the public-key operations use Bouncy
 * Castle's own implementations, since the JDK has no OpenPGP X25519 key agreement.
 */
public final class PublicKeyWrapper implements KeyWrapper {

    private final PGPPublicKey encryptionKey;
    private final PGPPrivateKey privateKey;

    private PublicKeyWrapper(PGPPublicKey encryptionKey, PGPPrivateKey privateKey) {
        this.encryptionKey = encryptionKey;
        this.privateKey = privateKey;
    }

    /**
     * {@code w}, once an envelope it makes has the shape the reader accepts ({@link EnvelopeFormat}): a key of another
     * algorithm (a NIST or Brainpool curve, ElGamal, X448) would wrap every object's key in envelopes that no restore
     * could open, so it is refused when it is loaded, not found out at restore time.
     */
    private static PublicKeyWrapper supported(PublicKeyWrapper w) {
        try {
            EnvelopeFormat.check(w.wrap(DataKey.generate()));
            return w;
        } catch (MalformedEnvelopeException e) {
            throw new IllegalArgumentException(
                    "the OpenPGP key " + w.keyId() + " (algorithm " + w.encryptionKey.getAlgorithm()
                            + ") is not one pitr supports: use an RSA or a Curve25519 (cv25519) encryption key");
        }
    }

    /** From an armored or binary public key: wraps only. */
    public static PublicKeyWrapper encryptOnly(InputStream publicKey) {
        try {
            var rings = new JcaPGPPublicKeyRingCollection(PGPUtil.getDecoderStream(publicKey));
            for (Iterator<PGPPublicKeyRing> it = rings.getKeyRings(); it.hasNext(); ) {
                for (Iterator<PGPPublicKey> keys = it.next().getPublicKeys(); keys.hasNext(); ) {
                    PGPPublicKey k = keys.next();
                    if (k.isEncryptionKey() && !k.hasRevocation()) {
                        return supported(new PublicKeyWrapper(k, null));
                    }
                }
            }
        } catch (IOException | PGPException e) {
            throw new IllegalArgumentException("not an OpenPGP public key: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("the OpenPGP key has no encryption key");
    }

    /** From an armored or binary secret key, unlocked with {@code passphrase} (empty for an unprotected key). */
    public static PublicKeyWrapper withSecretKey(InputStream secretKey, char[] passphrase) {
        try {
            var rings = new JcaPGPSecretKeyRingCollection(PGPUtil.getDecoderStream(secretKey));
            for (Iterator<PGPSecretKeyRing> it = rings.getKeyRings(); it.hasNext(); ) {
                for (Iterator<PGPSecretKey> keys = it.next().getSecretKeys(); keys.hasNext(); ) {
                    PGPSecretKey k = keys.next();
                    if (k.getPublicKey().isEncryptionKey() && !k.isPrivateKeyEmpty()) {
                        PGPPrivateKey priv = k.extractPrivateKey(
                                new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider())
                                        .build(passphrase));
                        return supported(new PublicKeyWrapper(k.getPublicKey(), priv));
                    }
                }
            }
        } catch (IOException | PGPException e) {
            throw new IllegalArgumentException("cannot read the OpenPGP secret key: " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("the OpenPGP secret key has no encryption key");
    }

    @Override
    public String keyId() {
        return "pgp:" + HexFormat.of().formatHex(encryptionKey.getFingerprint());
    }

    @Override
    public byte[] wrap(DataKey key) {
        return OpenPgpEnvelopes.seal(key, new BcPublicKeyKeyEncryptionMethodGenerator(encryptionKey));
    }

    @Override
    public DataKey unwrap(byte[] envelope) {
        if (privateKey == null) {
            throw new WrongKeyException("this host holds only the public key " + keyId()
                    + " and cannot open key envelopes; restore where the secret key is");
        }
        for (Object o : OpenPgpEnvelopes.parse(envelope, EnvelopeFormat.Kind.PUBLIC_KEY)) {
            if (o instanceof PGPPublicKeyEncryptedData pk
                    && pk.getKeyIdentifier().matches(encryptionKey.getKeyIdentifier())) {
                try {
                    return OpenPgpEnvelopes.open(pk, pk.getDataStream(new BcPublicKeyDataDecryptorFactory(privateKey)));
                } catch (PGPException e) {
                    throw new WrongKeyException("cannot open the key envelope with " + keyId() + ": " + e.getMessage());
                }
            }
        }
        throw new WrongKeyException("the key envelope was not made for " + keyId());
    }
}
