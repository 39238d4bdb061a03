package dev.pitr.crypto;

/**
 * A key-encryption key: wraps each object's {@link DataKey} into a small envelope stored apart from the object body,
 * and unwraps it again. Rotation writes new envelopes with another wrapper; bodies are never touched.
 *
 * <p>Contract: {@link #unwrap} of an envelope made by {@link #wrap} of the same key returns the same data key; an
 * envelope made with another key throws {@link WrongKeyException}; a wrapper that holds only public material throws
 * {@link WrongKeyException} from {@link #unwrap} too, saying so; an envelope in no shape this kind of key writes throws
 * {@link MalformedEnvelopeException}, naming the field, before any parser or key service sees it, so that what a
 * damaged or planted envelope costs is bounded by what a real one costs. {@link #keyId()} names the key without
 * revealing it.
 */
public interface KeyWrapper {

    /** A stable, non-secret name of the key-encryption key, recorded with every object it wraps. */
    String keyId();

    byte[] wrap(DataKey key);

    DataKey unwrap(byte[] envelope);

    /** A fresh data key for one object and its envelope. A key service that makes data keys itself overrides this. */
    default Wrapped newDataKey() {
        DataKey k = DataKey.generate();
        return new Wrapped(k, wrap(k));
    }

    /** A data key with its envelope, as made for a new object. */
    @SuppressWarnings("ArrayRecordComponent") // a carrier, never compared or hashed
    record Wrapped(DataKey key, byte[] envelope) {}
}
