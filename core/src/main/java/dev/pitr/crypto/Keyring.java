package dev.pitr.crypto;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key-encryption keys one host holds: the current key, which wraps the data key of every new object, and retired
 * keys, which only open the envelopes of objects written before a rotation. An empty keyring writes plain (compressed
 * only) objects.
 */
public final class Keyring {

    private static final Keyring NONE = new Keyring(null, List.of());

    private final KeyWrapper current;
    private final Map<String, KeyWrapper> byId = new LinkedHashMap<>();

    private Keyring(KeyWrapper current, List<KeyWrapper> retired) {
        this.current = current;
        if (current != null) {
            byId.put(current.keyId(), current);
        }
        for (KeyWrapper w : retired) {
            byId.putIfAbsent(w.keyId(), w);
        }
    }

    /** No encryption: objects are written compressed only; encrypted objects cannot be read. */
    public static Keyring none() {
        return NONE;
    }

    /** A keyring; {@code current} may be null when new objects are written unencrypted but old ones must be read. */
    public static Keyring of(KeyWrapper current, List<KeyWrapper> retired) {
        return current == null && retired.isEmpty() ? NONE : new Keyring(current, retired);
    }

    /** The key new data keys are wrapped with; empty when objects are written unencrypted. */
    public Optional<KeyWrapper> current() {
        return Optional.ofNullable(current);
    }

    /** Every key id this host holds, the current one first. */
    public List<String> keyIds() {
        return new ArrayList<>(byId.keySet());
    }

    /** True when {@code keyId} is a key this host holds but no longer writes with. */
    public boolean isRetired(String keyId) {
        return byId.containsKey(keyId) && (current == null || !current.keyId().equals(keyId));
    }

    /**
     * Opens an envelope with the first key held that opens it, the current one first.
     *
     * @throws WrongKeyException when no key held opens it, naming the keys tried
     * @throws MalformedEnvelopeException when no key held even reads it: it is in no shape any of them writes
     */
    public DataKey unwrap(byte[] envelope) {
        if (byId.isEmpty()) {
            throw new WrongKeyException("the object is encrypted and no encryption key is configured");
        }
        Set<String> reasons = new LinkedHashSet<>();
        boolean anyRead = false;
        for (KeyWrapper w : byId.values()) {
            try {
                return w.unwrap(envelope);
            } catch (MalformedEnvelopeException e) {
                reasons.add(e.field());
            } catch (WrongKeyException e) {
                anyRead = true;
                reasons.add(e.getMessage());
            }
        }
        if (!anyRead) {
            throw new MalformedEnvelopeException(String.join("; ", reasons));
        }
        throw new WrongKeyException("no configured key opens the envelope; tried " + String.join(", ", byId.keySet())
                + ": " + String.join("; ", reasons));
    }
}
