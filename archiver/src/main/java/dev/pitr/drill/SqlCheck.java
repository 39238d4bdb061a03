package dev.pitr.drill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An operator's check of a drill's restored server, from {@code drill.checks}: {@code sql} run in {@code database}
 * must succeed and, when {@code expect} is given, print exactly it (psql's unaligned output without headers: columns
 * joined by {@code |}, rows by line breaks).
 */
public record SqlCheck(String name, String database, String sql, String expect) {

    /**
     * The checks {@code drill.checks} lists, e.g.
     *
     * <pre>
     * drill:
     *   checks:
     *     - name: orders are there
     *       database: shop
     *       sql: SELECT count(*) > 0 FROM orders
     *       expect: t
     * </pre>
     *
     * @throws PitrException {@code config-invalid} for a check without a name or SQL, an unknown field or a name given
     *     twice
     */
    public static List<SqlCheck> from(Config config) {
        String json = config.get(Key.DRILL_CHECKS).orElse(null);
        if (json == null) {
            return List.of();
        }
        JsonNode list;
        try {
            list = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw invalid(config, "drill.checks is not a list: " + e.getMessage());
        }
        if (!list.isArray()) {
            throw invalid(config, "drill.checks must be a list of checks");
        }
        List<SqlCheck> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (JsonNode n : list) {
            if (!n.isObject()) {
                throw invalid(
                        config,
                        "each of drill.checks must be a mapping with name, sql and optionally database"
                                + " and expect");
            }
            n.fieldNames().forEachRemaining(f -> {
                if (!Set.of("name", "database", "sql", "expect").contains(f)) {
                    throw invalid(config, "drill.checks: unknown field '" + f + "'");
                }
            });
            String name = text(n, "name");
            String sql = text(n, "sql");
            if (name == null || name.isBlank() || sql == null || sql.isBlank()) {
                throw invalid(config, "each of drill.checks needs a name and sql");
            }
            if (!names.add(name)) {
                throw invalid(config, "drill.checks names '" + name + "' twice");
            }
            String database = text(n, "database");
            out.add(new SqlCheck(name, database == null ? "postgres" : database, sql, text(n, "expect")));
        }
        return out;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static PitrException invalid(Config config, String what) {
        return new PitrException(
                ErrorCode.CONFIG_INVALID, config.file() + ": " + what, "see drill.checks in docs/configuration.md");
    }
}
