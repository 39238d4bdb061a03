package dev.pitr.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ErrorCodeTest {

    @Test
    void exitCodesAreDistinctAndEachIsFoundByItsCode() {
        Set<Integer> seen = new java.util.HashSet<>();
        for (ErrorCode c : ErrorCode.values()) {
            assertTrue(seen.add(c.exitCode()), c + " shares its exit code");
            assertEquals(c, ErrorCode.ofExitCode(c.exitCode()));
        }
    }

    /**
     * The documented table (docs/operating.md) is what operators script against: it names every code, with its
     * number, and nothing else.
     */
    @Test
    void theDocumentedTableIsTheCatalogue() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "operating.md"));
        int start = doc.indexOf("## Exit codes");
        assertTrue(start >= 0, "docs/operating.md has no 'Exit codes' section");
        String section = doc.substring(start, doc.indexOf("\n## ", start + 1));
        Matcher m = Pattern.compile("(?m)^\\| (\\d+) \\| ([a-z-]+) \\|").matcher(section);
        Map<String, Integer> table = new LinkedHashMap<>();
        while (m.find()) {
            assertEquals(
                    null, table.put(m.group(2), Integer.parseInt(m.group(1))), m.group(2) + " is in the table twice");
        }
        Map<String, Integer> catalogue = new LinkedHashMap<>();
        for (ErrorCode c : EnumSet.allOf(ErrorCode.class)) {
            catalogue.put(c.label(), c.exitCode());
        }
        assertEquals(new java.util.TreeMap<>(catalogue), new java.util.TreeMap<>(table));
    }
}
