package dev.pitr.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.wal.Lsn;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChangedBlocksTest {

    @TempDir
    Path dir;

    /** A valid heap page whose header names {@code lsn}, its body filled with {@code fill}. */
    private static byte[] page(long lsn, int fill) {
        byte[] p = new byte[ChangedBlocks.BLOCK];
        Arrays.fill(p, 24, p.length, (byte) fill);
        ByteBuffer b = ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, (int) (lsn >>> 32)).putInt(4, (int) lsn);
        b.putShort(12, (short) 64).putShort(14, (short) 4096).putShort(16, (short) 8192);
        b.putShort(18, (short) (8192 | 4));
        return p;
    }

    private static byte[] file(byte[]... pages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : pages) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** The parent's copy with the form laid onto it. */
    private byte[] applied(byte[] parent, byte[] form) throws IOException {
        Path f = dir.resolve("rel");
        Files.write(f, parent);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ChangedBlocks.apply(new ByteArrayInputStream(form), ch);
        }
        return Files.readAllBytes(f);
    }

    private static byte[] form(byte[] file, Lsn since, ChangedBlocks.Kept[] kept) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        kept[0] = ChangedBlocks.write(new ByteArrayInputStream(file), file.length, since, out);
        assertEquals(kept[0].bytesWritten(), out.size());
        return out.toByteArray();
    }

    @Test
    void onlyMainForksAreStoredBlockByBlock() {
        for (String yes : new String[] {
            "base/5/16384", "base/5/16384.2", "global/1262", "pg_tblspc/16400/PG_15_202209061/5/16385.1"
        }) {
            assertTrue(ChangedBlocks.isBlockLevel(yes), yes);
        }
        for (String no : new String[] {
            "base/5/16384_fsm",
            "base/5/16384_vm",
            "base/5/16384_init",
            "global/pg_control",
            "base/5/PG_VERSION",
            "pg_wal/000000010000000000000001",
            "base/5/pg_filenode.map",
            "pg_xact/0000",
            "backup_label"
        }) {
            assertFalse(ChangedBlocks.isBlockLevel(no), no);
        }
    }

    @Test
    void keepsThePagesChangedSinceTheParentAndRebuildsTheFileFromItsCopy() throws IOException {
        long since = 0x1_0000_0000L;
        byte[] parent = file(page(since - 5, 1), page(since - 4, 2), page(since - 3, 3), page(since - 2, 4));
        // page 1 changed after the parent started, page 3 is being rewritten (torn: no valid header), page 2 is new
        // and zeroed, page 0 unchanged; the file grew by one changed page
        byte[] torn = new byte[ChangedBlocks.BLOCK];
        Arrays.fill(torn, (byte) 0x5a);
        byte[] now = file(page(since - 5, 1), page(since + 10, 9), new byte[ChangedBlocks.BLOCK], torn, page(since, 7));
        ChangedBlocks.Kept[] kept = new ChangedBlocks.Kept[1];
        byte[] form = form(now, new Lsn(since), kept);
        assertEquals(5, kept[0].fileBlocks());
        assertEquals(4, kept[0].keptBlocks(), "all but the unchanged page 0");
        assertArrayEquals(now, applied(parent, form));
        // and from nothing, a new file
        assertArrayEquals(now, applied(new byte[0], form(now, new Lsn(0), kept)));
    }

    @Test
    void aShrunkFileIsCutToItsLength() throws IOException {
        long since = 1000;
        byte[] parent = file(page(10, 1), page(20, 2), page(30, 3));
        byte[] now = file(page(10, 1));
        ChangedBlocks.Kept[] kept = new ChangedBlocks.Kept[1];
        byte[] form = form(now, new Lsn(since), kept);
        assertEquals(0, kept[0].keptBlocks());
        assertArrayEquals(now, applied(parent, form));
    }

    @Test
    void aFormThatIsNotOneIsRefused() throws IOException {
        ChangedBlocks.Kept[] kept = new ChangedBlocks.Kept[1];
        byte[] good = form(file(page(5, 1), page(6, 2)), new Lsn(0), kept);
        byte[] badMagic = good.clone();
        badMagic[0] = 'X';
        assertThrows(IOException.class, () -> applied(new byte[0], badMagic));
        assertThrows(IOException.class, () -> applied(new byte[0], Arrays.copyOf(good, good.length - 9)));
        byte[] outOfOrder = good.clone();
        // the second kept block claims block 0 again
        ByteBuffer.wrap(outOfOrder).putInt(16 + ChangedBlocks.BLOCK, 0);
        assertThrows(IOException.class, () -> applied(new byte[0], outOfOrder));
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertThrows(IOException.class, () -> applied(new byte[0], trailing));
    }
}
