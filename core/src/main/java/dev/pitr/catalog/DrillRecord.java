package dev.pitr.catalog;

import java.time.Instant;
import java.util.List;

/**
 * One restore drill: a restore into a scratch directory to {@code target}, from {@code snapshotId}, then checks on the
 * restored server. It {@code passed} when the restore reached the target and every check gave what it expects.
 * {@code timing} is the restore's, null when it failed before it could measure; {@code error} (an error code's name)
 * and {@code cause} say why a drill failed.
 */
public record DrillRecord(
        String id,
        Instant startedAt,
        Instant finishedAt,
        boolean passed,
        String target,
        String snapshotId,
        RecoveryTiming timing,
        List<Check> checks,
        String error,
        String cause) {

    public DrillRecord {
        checks = List.copyOf(checks);
    }

    /**
     * One check of the restored server: {@code amcheck <database>} (every B-tree index of a database) or an operator's
     * named check, with what it found ({@code detail}: the indexes checked, the result it got, or the error).
     */
    public record Check(String name, boolean passed, String detail) {}

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /** The checks as a catalog stores them: a JSON array of {@code {name, passed, detail}}. */
    public String checksJson() {
        var a = JSON.createArrayNode();
        checks.forEach(c ->
                a.addObject().put("name", c.name()).put("passed", c.passed()).put("detail", c.detail()));
        return a.toString();
    }

    /** The checks {@link #checksJson} wrote; none for null. */
    public static List<Check> parseChecks(String json) {
        if (json == null || json.isEmpty()) {
            return List.of();
        }
        try {
            List<Check> out = new java.util.ArrayList<>();
            for (var n : JSON.readTree(json)) {
                out.add(new Check(
                        n.path("name").asText(),
                        n.path("passed").asBoolean(),
                        n.path("detail").isNull() ? null : n.path("detail").asText()));
            }
            return out;
        } catch (java.io.IOException e) {
            throw new CatalogException("a drill's checks are not the JSON the catalog writes: " + e.getMessage(), e);
        }
    }
}
