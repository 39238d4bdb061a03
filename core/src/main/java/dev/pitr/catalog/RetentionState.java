package dev.pitr.catalog;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * What retention holds for a snapshot: the policy decides on it ({@link Retained}), it is kept however old it gets
 * ({@link Pinned}), or retention expired it at an instant ({@link Expired}, for an {@code EXPIRED} or {@code REMOVED}
 * snapshot). Catalogs and object descriptions store it as its {@link #text()}: {@code retained}, {@code pinned}, or
 * the ISO-8601 instant.
 */
public sealed interface RetentionState {

    RetentionState RETAINED = new Retained();
    RetentionState PINNED = new Pinned();

    /** The policy decides on the snapshot. */
    record Retained() implements RetentionState {
        @Override
        public String text() {
            return "retained";
        }
    }

    /** Kept however old it gets, until unpinned. */
    record Pinned() implements RetentionState {
        @Override
        public String text() {
            return "pinned";
        }
    }

    /** Expired by retention at {@code at}; its objects go after the grace period. */
    record Expired(Instant at) implements RetentionState {
        @Override
        public String text() {
            return at.toString();
        }
    }

    /** How catalogs store it. */
    String text();

    /**
     * The state {@link #text()} wrote; a record without one (written before retention existed) is {@link Retained}.
     *
     * @throws IllegalArgumentException for any other text
     */
    static RetentionState parse(String text) {
        if (text == null || text.equals("retained")) {
            return RETAINED;
        }
        if (text.equals("pinned")) {
            return PINNED;
        }
        try {
            return new Expired(Instant.parse(text));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is no retention state", e);
        }
    }
}
