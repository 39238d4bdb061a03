package dev.pitr.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptRequest;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.EncryptRequest;
import software.amazon.awssdk.services.kms.model.EncryptResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyRequest;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * The KMS adapter against the SDK's own {@link KmsClient} interface. No KMS emulator runs here, so the service side is
 * an in-memory stand-in that behaves as KMS documents: blobs bound to the key and the encryption context, {@code
 * IncorrectKeyException} for another key, {@code InvalidCiphertextException} for a damaged blob or another context.
 */
class KmsKeyWrapperTest {

    /** A stand-in KMS: AES-GCM under one random master key per key id, the context as associated data. */
    static final class StandInKms implements KmsClient {
        final Map<String, byte[]> masters = new HashMap<>();
        final List<String> calls = new ArrayList<>();
        boolean down;
        private final SecureRandom random = new SecureRandom();

        StandInKms(String... keyIds) {
            for (String k : keyIds) {
                byte[] m = new byte[32];
                random.nextBytes(m);
                masters.put(k, m);
            }
        }

        @Override
        public GenerateDataKeyResponse generateDataKey(GenerateDataKeyRequest r) {
            calls.add("GenerateDataKey " + r.keyId() + " " + r.keySpec() + " " + r.encryptionContext());
            assertEquals(DataKeySpec.AES_256, r.keySpec());
            byte[] plain = new byte[32];
            random.nextBytes(plain);
            return GenerateDataKeyResponse.builder()
                    .keyId(r.keyId())
                    .plaintext(SdkBytes.fromByteArray(plain))
                    .ciphertextBlob(SdkBytes.fromByteArray(seal(r.keyId(), plain, r.encryptionContext())))
                    .build();
        }

        @Override
        public EncryptResponse encrypt(EncryptRequest r) {
            calls.add("Encrypt " + r.keyId() + " " + r.encryptionContext());
            return EncryptResponse.builder()
                    .ciphertextBlob(
                            SdkBytes.fromByteArray(seal(r.keyId(), r.plaintext().asByteArray(), r.encryptionContext())))
                    .build();
        }

        @Override
        public DecryptResponse decrypt(DecryptRequest r) {
            calls.add("Decrypt " + r.keyId() + " " + r.encryptionContext());
            if (down) {
                throw (KmsException) KmsException.builder()
                        .message("Service Unavailable")
                        .statusCode(503)
                        .build();
            }
            ByteBuffer b = ByteBuffer.wrap(r.ciphertextBlob().asByteArray());
            try {
                byte[] id = new byte[b.get()];
                b.get(id);
                String keyId = new String(id, java.nio.charset.StandardCharsets.UTF_8);
                if (!keyId.equals(r.keyId())) {
                    throw IncorrectKeyException.builder()
                            .awsErrorDetails(details("IncorrectKeyException"))
                            .build();
                }
                byte[] iv = new byte[12];
                b.get(iv);
                byte[] ct = new byte[b.remaining()];
                b.get(ct);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(
                        Cipher.DECRYPT_MODE,
                        new SecretKeySpec(masters.get(keyId), "AES"),
                        new GCMParameterSpec(128, iv));
                c.updateAAD(r.encryptionContext().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return DecryptResponse.builder()
                        .keyId(keyId)
                        .plaintext(SdkBytes.fromByteArray(c.doFinal(ct)))
                        .build();
            } catch (GeneralSecurityException | RuntimeException e) {
                if (e instanceof IncorrectKeyException ike) {
                    throw ike;
                }
                throw InvalidCiphertextException.builder()
                        .awsErrorDetails(details("InvalidCiphertextException"))
                        .build();
            }
        }

        private byte[] seal(String keyId, byte[] plain, Map<String, String> context) {
            try {
                byte[] iv = new byte[12];
                random.nextBytes(iv);
                Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
                c.init(
                        Cipher.ENCRYPT_MODE,
                        new SecretKeySpec(masters.get(keyId), "AES"),
                        new GCMParameterSpec(128, iv));
                c.updateAAD(context.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                byte[] ct = c.doFinal(plain);
                byte[] id = keyId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                return ByteBuffer.allocate(1 + id.length + 12 + ct.length)
                        .put((byte) id.length)
                        .put(id)
                        .put(iv)
                        .put(ct)
                        .array();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        private static AwsErrorDetails details(String code) {
            return AwsErrorDetails.builder().errorCode(code).errorMessage(code).build();
        }

        @Override
        public String serviceName() {
            return "kms";
        }

        @Override
        public void close() {}
    }

    @Test
    void dataKeysComeFromGenerateDataKeyAndOpenWithDecrypt() {
        StandInKms kms = new StandInKms("alias/pitr");
        KmsKeyWrapper w = new KmsKeyWrapper(kms, "alias/pitr");
        assertEquals("kms:alias/pitr", w.keyId());
        KeyWrapper.Wrapped a = w.newDataKey();
        KeyWrapper.Wrapped b = w.newDataKey();
        assertNotEquals(a.key(), b.key());
        assertEquals(a.key(), w.unwrap(a.envelope()));
        assertEquals(b.key(), w.unwrap(b.envelope()));
        assertTrue(
                kms.calls.get(0).startsWith("GenerateDataKey alias/pitr AES_256 {pitr=data-key}"),
                kms.calls.toString());
        assertTrue(kms.calls.contains("Decrypt alias/pitr {pitr=data-key}"), kms.calls.toString());
    }

    @Test
    void rotationToKmsWrapsAnExistingDataKeyWithEncrypt() {
        StandInKms kms = new StandInKms("k1");
        KmsKeyWrapper w = new KmsKeyWrapper(kms, "k1");
        DataKey dk = DataKey.generate();
        byte[] env = w.wrap(dk);
        assertEquals(dk, w.unwrap(env));
        assertTrue(kms.calls.get(0).startsWith("Encrypt k1"));
    }

    @Test
    void anotherKeysEnvelopeIsAWrongKeyAndAKeyringMovesOnToTheRightOne() {
        StandInKms kms = new StandInKms("old", "new");
        KmsKeyWrapper old = new KmsKeyWrapper(kms, "old");
        KmsKeyWrapper neu = new KmsKeyWrapper(kms, "new");
        KeyWrapper.Wrapped w = old.newDataKey();
        assertThrows(WrongKeyException.class, () -> neu.unwrap(w.envelope()));
        assertEquals(w.key(), Keyring.of(neu, List.of(old)).unwrap(w.envelope()));
        byte[] damaged = w.envelope().clone();
        damaged[damaged.length - 1] ^= 1;
        assertThrows(WrongKeyException.class, () -> old.unwrap(damaged));
    }

    @Test
    void anUnreachableKmsIsKeyUnavailableNotAWrongKey() {
        StandInKms kms = new StandInKms("k");
        KmsKeyWrapper w = new KmsKeyWrapper(kms, "k");
        byte[] env = w.newDataKey().envelope();
        kms.down = true;
        PitrException e = assertThrows(PitrException.class, () -> w.unwrap(env));
        assertEquals(ErrorCode.KEY_UNAVAILABLE, e.code());
        assertTrue(e.hint().contains("kms:Decrypt"));
    }

    /** A blob of a size KMS never returns is refused as damaged without a call, alone or beside another kind of key. */
    @Test
    void aBlobOfASizeKmsNeverMakesIsRefusedUncalled() {
        StandInKms kms = new StandInKms("k");
        KmsKeyWrapper w = new KmsKeyWrapper(kms, "k");
        for (byte[] blob : List.of(new byte[0], new byte[KmsKeyWrapper.MAX_BLOB_BYTES + 1])) {
            MalformedEnvelopeException e = assertThrows(MalformedEnvelopeException.class, () -> w.unwrap(blob));
            assertEquals(ErrorCode.CORRUPT_OBJECT, e.code());
            assertThrows(
                    MalformedEnvelopeException.class,
                    () -> Keyring.of(w, List.of(SecretKeyWrapper.fromKey(new byte[32])))
                            .unwrap(blob));
        }
        assertTrue(kms.calls.isEmpty(), kms.calls.toString());
    }
}
