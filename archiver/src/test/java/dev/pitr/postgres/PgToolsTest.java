package dev.pitr.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgToolsTest {

    @TempDir
    Path root;

    /** A bin directory whose programs report {@code major} as their version. */
    private Path bin(String where, int major, String... programs) throws Exception {
        Path dir = Files.createDirectories(root.resolve(where));
        for (String p : programs) {
            Path f = dir.resolve(p);
            Files.writeString(f, "#!/bin/sh\necho '" + p + " (PostgreSQL) " + major + ".3'\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return dir;
    }

    @Test
    void theVersionPlaceholderFollowsTheVersionServed() {
        PgTools t = PgTools.ofSetting("/usr/pgsql-{major}/bin", "postgres");
        assertEquals(Path.of("/usr/pgsql-17/bin"), t.forMajor(17).binDir());
        assertEquals(Path.of("/usr/pgsql-13/bin"), t.forMajor(13).binDir());
        PitrException e = assertThrows(PitrException.class, () -> t.path("pg_ctl"));
        assertEquals(ErrorCode.INTERNAL, e.code());
    }

    @Test
    void anotherVersionIsFoundBesideTheConfiguredOneAsDebianLaysThemOut() throws Exception {
        Path pg15 = bin("usr/lib/postgresql/15/bin", 15, "postgres");
        Path pg17 = bin("usr/lib/postgresql/17/bin", 17, "postgres");
        PgTools t = new PgTools(pg15, "postgres");
        assertEquals(pg17, t.forMajor(17).binDir());
        assertEquals(pg15, t.forMajor(15).binDir());
        // not installed: the configured directory, whose version checks then say what is missing
        assertEquals(pg15, t.forMajor(14).binDir());
        // a sibling that holds only an extension's programs lends what it has; the rest comes from the configured one
        Path ext = bin("usr/lib/postgresql/16/bin", 16, "pg_repack");
        assertEquals(pg15.resolve("postgres").toString(), t.forMajor(16).path("postgres"));
        assertEquals(ext.resolve("pg_repack").toString(), t.forMajor(16).path("pg_repack"));
        Path plain = bin("opt/pg/bin", 15, "postgres");
        assertEquals(plain, new PgTools(plain, "postgres").forMajor(17).binDir());
    }

    @Test
    void aRestoreRefusesAnotherVersionsServerAndAnOlderVerifier() throws Exception {
        Path pg15 = bin("a/15/bin", 15, "postgres", "pg_ctl", "pg_verifybackup");
        PgTools t = new PgTools(pg15, "postgres");
        t.requireRestorePrograms(15);
        PitrException e = assertThrows(PitrException.class, () -> t.requireRestorePrograms(17));
        assertEquals(ErrorCode.TOOL_MISSING, e.code());
        assertTrue(e.getMessage().contains("the snapshot is of PostgreSQL 17"), e.getMessage());
        assertTrue(e.hint().contains("postgresql-17"), e.hint());
        assertTrue(e.hint().contains("{major}"), e.hint());
        // a newer pg_verifybackup serves an older version's manifest; an older server does not
        Path mixed = bin("b/13/bin", 13, "postgres", "pg_ctl");
        bin("b/13/bin", 17, "pg_verifybackup");
        new PgTools(mixed, "postgres").requireRestorePrograms(13);
        Path missing = bin("c/bin", 13, "postgres");
        PitrException m =
                assertThrows(PitrException.class, () -> new PgTools(missing, "postgres").requireRestorePrograms(13));
        assertTrue(m.getMessage().contains("pg_ctl not found"), m.getMessage());
        assertTrue(m.hint().contains("server programs"), m.hint());
    }

    @Test
    void theHintNamesWhereTheSettingLooks() {
        String hint =
                PgTools.ofSetting("/usr/lib/postgresql/{major}/bin", "postgres").installHint(18, "client");
        assertTrue(hint.contains("postgresql-client-18"), hint);
        assertTrue(hint.contains("/usr/lib/postgresql/18/bin"), hint);
    }
}
