package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A planted snapshot tar can do nothing outside the data directory it is laid down in. */
class TarExtractorTest {

    @TempDir
    Path tmp;

    Path target;
    Path outside;

    /** One entry of a tar being made: a name, and what it is. */
    record Entry(String name, byte type, String linkOrContent) {
        static Entry dir(String name) {
            return new Entry(name, TarConstants.LF_DIR, null);
        }

        static Entry file(String name, String content) {
            return new Entry(name, TarConstants.LF_NORMAL, content);
        }
    }

    @BeforeEach
    void dirs() throws IOException {
        target = Files.createDirectory(tmp.resolve("restored"));
        outside = Files.createDirectory(tmp.resolve("elsewhere"));
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static byte[] tar(Entry... entries) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bos)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Entry e : entries) {
                TarArchiveEntry t = new TarArchiveEntry(e.name(), e.type(), true);
                byte[] content = new byte[0];
                if (e.type() == TarConstants.LF_SYMLINK || e.type() == TarConstants.LF_LINK) {
                    t.setLinkName(e.linkOrContent());
                } else if (e.linkOrContent() != null) {
                    content = e.linkOrContent().getBytes(StandardCharsets.UTF_8);
                    t.setSize(content.length);
                }
                out.putArchiveEntry(t);
                out.write(content);
                out.closeArchiveEntry();
            }
        }
        return bos.toByteArray();
    }

    long extract(byte[] tar) throws IOException {
        return TarExtractor.extract(new ByteArrayInputStream(tar), target);
    }

    /** Nothing was created in, or changed about, the directory outside. */
    void assertOutsideUntouched() throws IOException {
        try (var s = Files.list(outside)) {
            assertEquals(List.of(), s.toList());
        }
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)));
    }

    @Test
    void whatPgBasebackupWritesIsLaidDownOwnerOnly() throws IOException {
        long files = extract(tar(
                Entry.dir("global/"),
                Entry.file("global/pg_control", "control"),
                Entry.file("base/1/1259", "pages"),
                Entry.file("PG_VERSION", "15\n")));
        assertEquals(3, files);
        assertEquals("pages", Files.readString(target.resolve("base/1/1259")));
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("PG_VERSION"))));
        assertEquals(
                "rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("base/1"))));
    }

    /** The planted tar that wrote a file elsewhere and chmodded that directory, as root. */
    @Test
    void aLinkIsRefusedSoNothingIsWrittenThroughIt() throws IOException {
        byte[] planted = tar(
                Entry.file("PG_VERSION", "15\n"),
                new Entry("pg_tblspc/16384", TarConstants.LF_SYMLINK, outside.toString()),
                Entry.dir("pg_tblspc/16384/"),
                Entry.file("pg_tblspc/16384/evil", "owned"));
        IOException e = assertThrows(IOException.class, () -> extract(planted));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertOutsideUntouched();
        assertFalse(Files.exists(target.resolve("pg_tblspc/16384")));
    }

    @Test
    void aRelativeLinkOutAndAHardLinkAreRefusedToo() throws IOException {
        assertThrows(
                IOException.class,
                () -> extract(tar(
                        new Entry("pg_wal", TarConstants.LF_SYMLINK, "../elsewhere"),
                        Entry.file("pg_wal/evil", "owned"))));
        assertThrows(IOException.class, () -> extract(tar(new Entry("passwd", TarConstants.LF_LINK, "/etc/passwd"))));
        assertOutsideUntouched();
    }

    @Test
    void namesThatClimbOutOrAreAbsoluteAreRefused() throws IOException {
        for (String name : List.of(
                "../elsewhere/evil",
                "base/../../elsewhere/evil",
                outside.resolve("evil").toString())) {
            IOException e = assertThrows(IOException.class, () -> extract(tar(Entry.file(name, "owned"))), name);
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        assertOutsideUntouched();
    }

    @Test
    void aNameTwiceFailsInsteadOfReplacingTheFirst() throws IOException {
        assertThrows(
                IOException.class, () -> extract(tar(Entry.file("PG_VERSION", "15\n"), Entry.file("PG_VERSION", "x"))));
        assertEquals("15\n", Files.readString(target.resolve("PG_VERSION")));
    }

    @Test
    void whatAnEarlierRestoreLeftIsSkippedAndAFileNamedLikeTheDirectoryIsRefused() throws IOException {
        Files.writeString(target.resolve("pitr-restore.log"), "");
        long files = TarExtractor.extract(
                new ByteArrayInputStream(tar(
                        Entry.file("PG_VERSION", "15\n"),
                        Entry.file("pitr-restore.log", "old log"),
                        Entry.dir("pitr-keys/"),
                        Entry.file("pitr-keys/0-kek.hex", "secret"))),
                target,
                java.util.Set.of("pitr-restore.log", "pitr-keys"));
        assertEquals(1, files);
        assertEquals("", Files.readString(target.resolve("pitr-restore.log")));
        assertFalse(Files.exists(target.resolve("pitr-keys")));
        IOException e = assertThrows(IOException.class, () -> extract(tar(Entry.file(".", "x"))));
        assertTrue(e.getMessage().contains("target directory itself"), e.getMessage());
    }

    /** A tar of {@code name -> bytes}, in order; a null value is a directory. */
    static byte[] binaryTar(java.util.Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bos)) {
            for (var e : entries.entrySet()) {
                TarArchiveEntry t = new TarArchiveEntry(
                        e.getKey(), e.getValue() == null ? TarConstants.LF_DIR : TarConstants.LF_NORMAL, true);
                byte[] content = e.getValue() == null ? new byte[0] : e.getValue();
                t.setSize(content.length);
                out.putArchiveEntry(t);
                out.write(content);
                out.closeArchiveEntry();
            }
        }
        return bos.toByteArray();
    }

    static byte[] page(int fill) {
        byte[] p = new byte[dev.pitr.backup.ChangedBlocks.BLOCK];
        java.util.Arrays.fill(p, (byte) fill);
        return p;
    }

    /** The block-level form of a file of {@code blocks} blocks keeping block {@code at} as {@code page}. */
    static byte[] form(int blocks, int at, byte[] page) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(bos);
        d.write("PITRBLK1".getBytes(StandardCharsets.US_ASCII));
        d.writeInt(blocks);
        d.writeInt(at);
        d.write(page);
        d.writeInt(-1);
        return bos.toByteArray();
    }

    @Test
    void anIncrementalLaysChangedBlocksOntoItsParentsFilesAndReplacesEveryOtherFile() throws Exception {
        java.util.Map<String, byte[]> full = new java.util.LinkedHashMap<>();
        full.put("base/", null);
        full.put("base/5/", null);
        ByteArrayOutputStream rel = new ByteArrayOutputStream();
        rel.write(page(1));
        rel.write(page(2));
        full.put("base/5/100", rel.toByteArray());
        full.put("PG_VERSION", "15\n".getBytes(StandardCharsets.UTF_8));
        TarExtractor.extract(new ByteArrayInputStream(binaryTar(full)), target);

        java.util.Map<String, byte[]> inc = new java.util.LinkedHashMap<>();
        inc.put("base/5/100.pitrblk", form(3, 2, page(3)));
        inc.put("base/5/200.pitrblk", form(1, 0, page(4)));
        inc.put("PG_VERSION", "15 again\n".getBytes(StandardCharsets.UTF_8));
        TarExtractor.Laid laid =
                TarExtractor.overlay(new ByteArrayInputStream(binaryTar(inc)), target, java.util.Set.of());

        byte[] got = Files.readAllBytes(target.resolve("base/5/100"));
        assertEquals(3 * page(0).length, got.length);
        assertEquals(1, got[0]);
        assertEquals(2, got[page(0).length]);
        assertEquals(3, got[2 * page(0).length]);
        assertEquals(4, Files.readAllBytes(target.resolve("base/5/200"))[0]);
        assertEquals("15 again\n", Files.readString(target.resolve("PG_VERSION")));
        assertEquals(
                java.util.Set.of(
                        target.resolve("base/5/100"), target.resolve("base/5/200"), target.resolve("PG_VERSION")),
                laid.paths());
        assertEquals(
                "rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("base/5/200"))));
    }

    @Test
    void changedBlocksOfWhatIsNotARelationFileOrOfADirectoryAreRefused() throws Exception {
        Files.createDirectories(target.resolve("base/5/100"));
        for (String name : List.of("global/pg_control.pitrblk", "base/5/100_fsm.pitrblk", "base/5/100.pitrblk")) {
            byte[] t = binaryTar(java.util.Map.of(name, form(1, 0, page(1))));
            IOException e = assertThrows(
                    IOException.class,
                    () -> TarExtractor.overlay(new ByteArrayInputStream(t), target, java.util.Set.of()));
            // a directory in the file's place is the directory's state, not a damaged snapshot
            assertEquals(
                    name.equals("base/5/100.pitrblk"), e instanceof TarExtractor.LocalWriteException, name + ": " + e);
        }
        assertFalse(Files.exists(target.resolve("global/pg_control")));
    }

    @Test
    void aDamagedFormIsTheSnapshotsFaultNotTheDisks() throws Exception {
        byte[] bad = form(1, 0, page(1));
        bad[3] = 'X';
        byte[] t = binaryTar(java.util.Map.of("base/5/100.pitrblk", bad));
        IOException e = assertThrows(
                IOException.class, () -> TarExtractor.overlay(new ByteArrayInputStream(t), target, java.util.Set.of()));
        assertFalse(e instanceof TarExtractor.LocalWriteException, e.toString());
        assertTrue(e.getMessage().contains("base/5/100.pitrblk"), e.getMessage());
    }

    @Test
    void aPartIsPassedOverOnlyWhenEveryFileIsKeptAndEveryDirectoryIsThere() throws IOException {
        Path root = target.toAbsolutePath().normalize();
        Files.createDirectories(root.resolve("base/1"));
        java.util.Set<Path> kept = java.util.Set.of(root.resolve("base/1/1259"), root.resolve("PG_VERSION"));
        java.util.Set<String> none = java.util.Set.of();
        TarExtractor.Laid laid = TarExtractor.inPlace(
                        List.of("base/", "base/1/", "base/1/1259", "PG_VERSION"), target, none, false, kept)
                .orElseThrow();
        assertEquals(0, laid.files());
        assertEquals(
                java.util.Set.of(
                        root.resolve("base"),
                        root.resolve("base/1"),
                        root.resolve("base/1/1259"),
                        root.resolve("PG_VERSION")),
                laid.paths());
        // a block-level form counts as its file
        assertTrue(TarExtractor.inPlace(List.of("base/1/1259.pitrblk"), target, none, true, kept)
                .isPresent());
        assertFalse(TarExtractor.inPlace(List.of("base/1/1259.pitrblk"), target, none, false, kept)
                .isPresent());
        assertFalse(TarExtractor.inPlace(List.of("base/1/2600"), target, none, false, kept)
                .isPresent());
        assertFalse(TarExtractor.inPlace(List.of("pg_wal/"), target, none, false, kept)
                .isPresent());
        // what a restore adds is no part of the snapshot
        assertTrue(TarExtractor.inPlace(
                        List.of("pitr-restore.log"), target, java.util.Set.of("pitr-restore.log"), false, kept)
                .isPresent());
        assertThrows(IOException.class, () -> TarExtractor.inPlace(List.of("../outside"), target, none, false, kept));
    }
}
