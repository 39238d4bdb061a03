package dev.pitr.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {

    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        return Files.writeString(dir.resolve("pitr.yaml"), yaml);
    }

    /** Every key is in the configuration reference, by name or under its section's {@code section.*} row. */
    @Test
    void theConfigurationReferenceNamesEveryKey() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (Key k : Key.values()) {
            String section =
                    k.path().contains(".") ? k.path().substring(0, k.path().indexOf('.')) : k.path();
            // the first cell of a table row names the key, alone or with others, or its whole section
            Pattern row = Pattern.compile(
                    "(?m)^\\| [^|]*`(" + Pattern.quote(k.path()) + "|" + Pattern.quote(section) + "\\.\\*)`[^|]*\\|");
            assertTrue(row.matcher(doc).find(), k.path() + " is not in docs/configuration.md");
        }
    }

    @Test
    void environmentOverridesTheFileAndPathsAreRelativeToIt() throws Exception {
        Config c = Config.load(
                write("primary:\n  host: db1\n  port: 5432\nstorage:\n  path: repo\n"),
                Map.of("PITR_PRIMARY_PORT", "6543"));
        assertEquals("db1", c.require(Key.PRIMARY_HOST));
        assertEquals(6543, c.requireInt(Key.PRIMARY_PORT));
        assertEquals(dir.resolve("repo"), c.requirePath(Key.STORAGE_PATH));
        assertEquals(dir.resolve("catalog.db"), c.catalogPath());
        assertEquals("pitr_slot", c.require(Key.WAL_SLOT));
    }

    @Test
    void aMissingKeyNamesTheKeyAndTheVariable() throws Exception {
        Config c = Config.load(write("primary:\n  host: db1\n"), Map.of());
        PitrException e = assertThrows(PitrException.class, () -> c.require(Key.STORAGE_PATH));
        assertEquals(ErrorCode.CONFIG_MISSING, e.code());
        assertEquals("add 'storage.path' to the file or set PITR_STORAGE_PATH", e.hint());
    }

    @Test
    void unknownKeysAndMissingFilesAreErrors() throws Exception {
        PitrException typo =
                assertThrows(PitrException.class, () -> Config.load(write("storage:\n  pth: x\n"), Map.of()));
        assertEquals(ErrorCode.CONFIG_INVALID, typo.code());
        PitrException none = assertThrows(PitrException.class, () -> Config.load(dir.resolve("nope.yaml"), Map.of()));
        assertEquals(ErrorCode.CONFIG_MISSING, none.code());
    }

    @Test
    void aKeyGivenTwiceIsAnErrorNotTheLastOneWinning() throws Exception {
        PitrException twice = assertThrows(
                PitrException.class, () -> Config.load(write("storage:\n  path: repo\n  path: elsewhere\n"), Map.of()));
        assertEquals(ErrorCode.CONFIG_INVALID, twice.code());
        assertTrue(twice.getMessage().contains("Duplicate field 'path'"), twice.getMessage());
    }

    @Test
    void secretsAreMaskedInDescriptions() throws Exception {
        Config c = Config.load(write("primary:\n  password: hunter2\n"), Map.of());
        assertEquals("***", c.describe().get("primary.password"));
        assertFalse(c.describe().toString().contains("hunter2"));
    }
}
