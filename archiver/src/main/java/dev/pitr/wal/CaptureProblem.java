package dev.pitr.wal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * What keeps capture from shipping when repeating cannot help (the service rejects the request, access is denied, the
 * bucket or table is missing): kept in the spool as {@value #FILE} while it lasts, so that {@code pitr status} on the
 * same host shows it as a warning with the service's own error, and removed once shipping works again.
 */
public final class CaptureProblem {

    /** The file in the spool; not a WAL file name, so the shipper leaves it alone. */
    public static final String FILE = ".pitr-capture-problem";

    private static final ObjectMapper JSON = new ObjectMapper();

    private CaptureProblem() {}

    static void record(Path spool, PitrException e, Instant now) {
        Instant at = now;
        try {
            // since the first failure of this kind, not the latest
            Path f = spool.resolve(FILE);
            if (Files.exists(f)) {
                JsonNode before = JSON.readTree(Files.readString(f));
                if (before.path("code").asText().equals(e.code().label())) {
                    at = Instant.parse(before.path("since").asText());
                }
            }
            Path tmp = spool.resolve(FILE + ".tmp");
            Files.writeString(
                    tmp,
                    JSON.createObjectNode()
                            .put("since", at.toString())
                            .put("code", e.code().label())
                            .put("message", e.getMessage())
                            .put("hint", e.hint())
                            .toString());
            Files.move(tmp, spool.resolve(FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ignored) {
            // the log says it too; a spool that cannot take a small file has its own warning in status
        }
    }

    static void clear(Path spool) {
        try {
            Files.deleteIfExists(spool.resolve(FILE));
        } catch (IOException ignored) {
            // said again, and cleared, on the next pass
        }
    }

    /** The problem recorded in {@code spool}, as a status warning, if there is one. */
    public static Optional<String> warning(Path spool) {
        try {
            Path f = spool.resolve(FILE);
            if (!Files.exists(f)) {
                return Optional.empty();
            }
            JsonNode n = JSON.readTree(Files.readString(f));
            return Optional.of("capture cannot ship since " + n.path("since").asText() + " ("
                    + n.path("code").asText() + "): " + n.path("message").asText()
                    + (n.hasNonNull("hint") ? " HINT: " + n.get("hint").asText() : ""));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
