package dev.pitr.crypto;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;

/**
 * An AWS KMS key as the key-encryption key. New data keys come from {@code GenerateDataKey}; an envelope is the
 * ciphertext blob KMS returns, opened with {@code Decrypt} (rotation to this key uses {@code Encrypt}). Every call
 * carries the encryption context {@value #CONTEXT_NAME}={@value #CONTEXT_VALUE}, so a blob made for something else
 * is refused by KMS itself. The plaintext data key never leaves memory.
 */
public final class KmsKeyWrapper implements KeyWrapper {

    public static final String CONTEXT_NAME = "pitr";
    public static final String CONTEXT_VALUE = "data-key";
    private static final Map<String, String> CONTEXT = Map.of(CONTEXT_NAME, CONTEXT_VALUE);

    private final KmsClient kms;
    private final String kmsKeyId;

    /** {@code kmsKeyId} is a key id, key ARN, alias name or alias ARN, as KMS accepts it. */
    public KmsKeyWrapper(KmsClient kms, String kmsKeyId) {
        this.kms = kms;
        this.kmsKeyId = kmsKeyId;
    }

    @Override
    public String keyId() {
        return "kms:" + kmsKeyId;
    }

    @Override
    public Wrapped newDataKey() {
        GenerateDataKeyResponse r = call(() -> kms.generateDataKey(
                b -> b.keyId(kmsKeyId).keySpec(DataKeySpec.AES_256).encryptionContext(CONTEXT)));
        return new Wrapped(
                DataKey.of(r.plaintext().asByteArray()), r.ciphertextBlob().asByteArray());
    }

    @Override
    public byte[] wrap(DataKey key) {
        return call(() -> kms.encrypt(b -> b.keyId(kmsKeyId)
                        .plaintext(SdkBytes.fromByteArray(key.bytes()))
                        .encryptionContext(CONTEXT)))
                .ciphertextBlob()
                .asByteArray();
    }

    /** The sizes KMS's Decrypt accepts as a ciphertext blob; anything else is refused without a call. */
    static final int MIN_BLOB_BYTES = 1;

    static final int MAX_BLOB_BYTES = 6144;

    @Override
    public DataKey unwrap(byte[] envelope) {
        if (envelope.length < MIN_BLOB_BYTES || envelope.length > MAX_BLOB_BYTES) {
            throw new MalformedEnvelopeException("a KMS ciphertext blob of " + envelope.length + " bytes (KMS's are "
                    + MIN_BLOB_BYTES + " to " + MAX_BLOB_BYTES + ")");
        }
        try {
            byte[] plain = kms.decrypt(b -> b.keyId(kmsKeyId)
                            .ciphertextBlob(SdkBytes.fromByteArray(envelope))
                            .encryptionContext(CONTEXT))
                    .plaintext()
                    .asByteArray();
            return DataKey.of(plain);
        } catch (IncorrectKeyException | InvalidCiphertextException e) {
            throw new WrongKeyException("the key envelope was not made with " + keyId() + " ("
                    + e.awsErrorDetails().errorCode() + ")");
        } catch (SdkException e) {
            throw unavailable(e);
        } catch (IllegalArgumentException e) {
            throw new WrongKeyException("KMS returned a data key that is not 32 bytes");
        }
    }

    private <T> T call(java.util.function.Supplier<T> c) {
        try {
            return c.get();
        } catch (SdkException e) {
            throw unavailable(e);
        }
    }

    private PitrException unavailable(SdkException e) {
        return new PitrException(
                ErrorCode.KEY_UNAVAILABLE,
                "AWS KMS refused or failed a call with " + keyId() + ": " + e.getMessage(),
                "check encryption.kms_key_id, the region, and that the credentials may use kms:GenerateDataKey, kms:Encrypt and kms:Decrypt on the key",
                e);
    }
}
