package dev.pitr.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.config.Config;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code drill.checks} as an operator writes it in pitr.yaml, and what is refused. */
class SqlCheckTest {

    @TempDir
    Path dir;

    private Config config(String yaml) throws Exception {
        Path f = dir.resolve("pitr.yaml");
        Files.writeString(f, yaml);
        return Config.load(f, Map.of());
    }

    @Test
    void checksAreReadFromTheYamlList() throws Exception {
        Config c = config("""
                drill:
                  checks:
                    - name: orders are there
                      database: shop
                      sql: SELECT count(*) > 0 FROM orders
                      expect: t
                    - name: it answers
                      sql: SELECT 1
                """);
        assertEquals(
                List.of(
                        new SqlCheck("orders are there", "shop", "SELECT count(*) > 0 FROM orders", "t"),
                        new SqlCheck("it answers", "postgres", "SELECT 1", null)),
                SqlCheck.from(c));
    }

    @Test
    void noChecksIsNone() throws Exception {
        assertEquals(List.of(), SqlCheck.from(config("drill:\n  amcheck: false\n")));
    }

    @Test
    void malformedChecksAreRefusedWithTheirReason() throws Exception {
        for (String[] bad : new String[][] {
            {"drill:\n  checks: SELECT 1\n", "must be a list"},
            {"drill:\n  checks:\n    - sql: SELECT 1\n", "needs a name and sql"},
            {"drill:\n  checks:\n    - name: a\n      sql: SELECT 1\n      expected: t\n", "unknown field 'expected'"},
            {"drill:\n  checks:\n    - name: a\n      sql: SELECT 1\n    - name: a\n      sql: SELECT 2\n", "twice"},
        }) {
            PitrException e = assertThrows(PitrException.class, () -> SqlCheck.from(config(bad[0])), bad[0]);
            assertEquals(ErrorCode.CONFIG_INVALID, e.code());
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }
}
