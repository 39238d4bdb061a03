package dev.pitr.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/** A fresh AES-256 key for one object. Never logged: {@link #toString()} hides it. */
public final class DataKey {

    /** OpenPGP's number for AES-256, as gpg's {@code --override-session-key 9:HEX} expects it. */
    public static final int OPENPGP_AES_256 = 9;

    private static final SecureRandom RANDOM = new SecureRandom();
    private final byte[] key;

    private DataKey(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("a data key is 32 bytes, got " + key.length);
        }
        this.key = key.clone();
    }

    public static DataKey generate() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return new DataKey(k);
    }

    public static DataKey of(byte[] key) {
        return new DataKey(key);
    }

    /** The form gpg takes: {@code 9:<64 hex digits>}. */
    public static DataKey parseSessionKey(String s) {
        String t = s.trim();
        if (!t.startsWith(OPENPGP_AES_256 + ":")) {
            throw new IllegalArgumentException("not an AES-256 session key");
        }
        return new DataKey(HexFormat.of().parseHex(t.substring(2)));
    }

    public String sessionKey() {
        return OPENPGP_AES_256 + ":" + HexFormat.of().withUpperCase().formatHex(key);
    }

    public byte[] bytes() {
        return key.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataKey d && Arrays.equals(key, d.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "DataKey(***)";
    }
}
