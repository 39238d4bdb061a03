package dev.pitr.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteCatalogTest extends CatalogContractTest {

    @TempDir
    Path dir;

    @Override
    protected Catalog newCatalog() {
        return SqliteCatalog.open(dir.resolve("catalog.db"));
    }

    @Test
    void aSecondProcessSeesWhatTheFirstRecorded() {
        catalog.recordSegment(segment(1, 4, "x"));
        try (Catalog reader = SqliteCatalog.openReadOnly(dir.resolve("catalog.db"))) {
            assertEquals("x", reader.allSegments().get(0).sha256());
        }
    }

    @Test
    void readOnlyOpenOfAMissingCatalogFails() {
        assertThrows(CatalogException.class, () -> SqliteCatalog.openReadOnly(dir.resolve("none.db")));
    }
}
