package dev.pitr.backup;

import dev.pitr.wal.Lsn;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.regex.Pattern;

/**
 * The block-level form of a relation file for an incremental snapshot: of the file's 8 KiB pages, only those whose
 * header LSN is at or after the parent snapshot's start LSN, plus every page whose header is not that of a valid
 * page (new, zeroed or torn: never taken for unchanged), with the file's length in blocks. A page with an older LSN
 * has not changed since the parent started, so the parent's copy of it, replayed from the parent's start, is as good.
 * Page headers are laid out alike from PostgreSQL 13 to 18.
 *
 * <p>The form, written as the file is read (a changed 1 GiB segment is never held in memory): the magic {@code
 * PITRBLK1} and the file's length in blocks, then each kept block's number and its 8 KiB in ascending order, then the
 * number {@code 0xFFFFFFFF} (all numbers big-endian, 32 bits; a relation segment has at most 131,072 blocks).
 *
 * <p>Only a relation's main fork (and its {@code .N} segments) qualifies: the free space map is not WAL-logged, so
 * its pages can change while their LSN does not, and the visibility map and init forks are small; those, like every
 * file that is not a relation, are stored whole.
 */
public final class ChangedBlocks {

    /** The name an incremental snapshot's tar gives a relation file's block-level form: the file's name plus this. */
    public static final String SUFFIX = ".pitrblk";

    /** PostgreSQL's page size. */
    public static final int BLOCK = 8192;

    private static final byte[] MAGIC = {'P', 'I', 'T', 'R', 'B', 'L', 'K', '1'};
    private static final int PAGE_LAYOUT_VERSION = 4;
    private static final int PAGE_HEADER = 24;
    /** What follows the last kept block. */
    private static final long END = 0xFFFFFFFFL;
    /** {@code base/<db>/<rel>}, {@code global/<rel>}, {@code pg_tblspc/<oid>/<version dir>/<db>/<rel>}, each {@code .N}. */
    private static final Pattern MAIN_FORK =
            Pattern.compile("(base/\\d+|global|pg_tblspc/\\d+/PG_[^/]+/\\d+)/\\d+(\\.\\d+)?");

    private ChangedBlocks() {}

    /** Whether {@code path}, relative to the data directory, is a relation's main fork, stored block by block. */
    public static boolean isBlockLevel(String path) {
        return MAIN_FORK.matcher(path).matches();
    }

    /**
     * Whether an incremental stores the file {@code path} of {@code size} bytes in its block-level form: a relation's
     * main fork of whole pages that its parent holds too (a file the parent lacks, or a partial page, is stored whole).
     */
    public static boolean storedAsBlocks(String path, long size, boolean parentHolds) {
        return parentHolds && size > 0 && size % BLOCK == 0 && isBlockLevel(path);
    }

    /** What {@link #write} kept of one file. */
    public record Kept(long fileBlocks, long keptBlocks, long bytesWritten) {}

    /**
     * Writes the block-level form of the {@code size} bytes {@code relation} holds: the blocks changed since {@code
     * since}. A size that is not a whole number of blocks (a file being extended while it was read) keeps its last,
     * partial block as a whole block padded with zeros, which replay then writes anew.
     */
    public static Kept write(InputStream relation, long size, Lsn since, OutputStream out) throws IOException {
        long blocks = (size + BLOCK - 1) / BLOCK;
        if (blocks >= END) {
            throw new IOException("a relation file of " + blocks + " blocks is longer than a segment");
        }
        java.io.DataOutputStream data = new java.io.DataOutputStream(out);
        data.write(MAGIC);
        data.writeInt((int) blocks);
        long keptBlocks = 0;
        byte[] page = new byte[BLOCK];
        for (long b = 0; b < blocks; b++) {
            int n = relation.readNBytes(page, 0, BLOCK);
            if (n < BLOCK) {
                java.util.Arrays.fill(page, n, BLOCK, (byte) 0);
                if (n == 0 && b < blocks - 1) {
                    throw new EOFException("relation ended at block " + b + " of " + blocks);
                }
            }
            if (changedSince(page, since)) {
                data.writeInt((int) b);
                data.write(page);
                keptBlocks++;
            }
        }
        data.writeInt((int) END);
        data.flush();
        return new Kept(blocks, keptBlocks, MAGIC.length + 8 + keptBlocks * (4 + BLOCK));
    }

    /**
     * Lays a block-level form onto {@code target}, the parent's copy of the file (empty when the file is new): each
     * kept block written at its place, and the file cut or extended to the length the form records.
     *
     * @throws TargetException when {@code target} cannot be written (a full disk, say)
     * @throws IOException when the form is not one {@link #write} made, ends early, or cannot be read
     */
    public static void apply(InputStream form, FileChannel target) throws IOException {
        try {
            applyTo(form, new Target(target));
        } catch (UncheckedIOException e) {
            throw new TargetException(e.getCause());
        }
    }

    /** Writing the file a form is applied to failed: the form is not at fault. */
    public static final class TargetException extends IOException {
        private static final long serialVersionUID = 1L;

        TargetException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** The file a form is applied to, whose failures are told apart from the form's. */
    private record Target(FileChannel channel) {
        void write(ByteBuffer buf, long position) {
            try {
                channel.write(buf, position);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void truncate(long size) {
            try {
                channel.truncate(size);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        long size() {
            try {
                return channel.size();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static void applyTo(InputStream form, Target target) throws IOException {
        DataInputStream in = new DataInputStream(form);
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException("not a block-level relation file (magic "
                    + new String(magic, java.nio.charset.StandardCharsets.ISO_8859_1) + ")");
        }
        long blocks = Integer.toUnsignedLong(in.readInt());
        if (blocks >= END) {
            throw new IOException("a relation file of " + blocks + " blocks is longer than a segment");
        }
        byte[] page = new byte[BLOCK];
        long previous = -1;
        for (long b = Integer.toUnsignedLong(in.readInt()); b != END; b = Integer.toUnsignedLong(in.readInt())) {
            if (b <= previous || b >= blocks) {
                throw new IOException("block " + b + " out of order or past the file's " + blocks + " blocks");
            }
            previous = b;
            in.readFully(page);
            ByteBuffer buf = ByteBuffer.wrap(page);
            while (buf.hasRemaining()) {
                target.write(buf, b * BLOCK + buf.position());
            }
        }
        if (in.read() != -1) {
            throw new IOException("block-level relation file goes on past its last block");
        }
        target.truncate(blocks * BLOCK);
        if (target.size() < blocks * BLOCK) {
            // blocks past the parent's copy that were not kept: only new (all-zero) pages are never kept unchanged
            ByteBuffer zero = ByteBuffer.allocate(1);
            target.write(zero, blocks * BLOCK - 1);
        }
    }

    /**
     * True unless {@code page} is a valid page whose LSN is before {@code since}. A new page (all zero, {@code
     * pd_upper} 0) or one whose header bounds do not hold counts as changed.
     */
    static boolean changedSince(byte[] page, Lsn since) {
        ByteBuffer b = ByteBuffer.wrap(page).order(ByteOrder.LITTLE_ENDIAN);
        long lsn = (Integer.toUnsignedLong(b.getInt(0)) << 32) | Integer.toUnsignedLong(b.getInt(4));
        int lower = b.getShort(12) & 0xffff;
        int upper = b.getShort(14) & 0xffff;
        int special = b.getShort(16) & 0xffff;
        int sizeVersion = b.getShort(18) & 0xffff;
        boolean valid = sizeVersion == (BLOCK | PAGE_LAYOUT_VERSION)
                && lower >= PAGE_HEADER
                && lower <= upper
                && upper <= special
                && special <= BLOCK
                && upper > 0;
        return !valid || Long.compareUnsigned(lsn, since.value()) >= 0;
    }
}
