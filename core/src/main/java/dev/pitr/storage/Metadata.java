package dev.pitr.storage;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** The rules for object metadata (see {@link Storage}) and its plain {@code name=value} line form. */
public final class Metadata {

    /** S3 counts names and values of user metadata together against this limit. */
    public static final int MAX_BYTES = 2048;

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final Pattern VALUE = Pattern.compile("[\\x20-\\x7e]*");

    private Metadata() {}

    /** Throws {@link IllegalArgumentException} unless every name and value is allowed and the total fits. */
    public static void validate(Map<String, String> metadata) {
        int total = 0;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (!NAME.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException("metadata name must be lowercase [a-z0-9-]: " + e.getKey());
            }
            if (!VALUE.matcher(e.getValue()).matches()) {
                throw new IllegalArgumentException("metadata value of " + e.getKey() + " must be printable ASCII");
            }
            total += e.getKey().length() + e.getValue().length();
        }
        if (total > MAX_BYTES) {
            throw new IllegalArgumentException("metadata is " + total + " bytes, more than " + MAX_BYTES);
        }
    }

    public static byte[] toProperties(Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(metadata)
                .forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    public static Map<String, String> fromProperties(byte[] bytes) {
        Map<String, String> m = new TreeMap<>();
        for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\n", -1)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return m;
    }
}
