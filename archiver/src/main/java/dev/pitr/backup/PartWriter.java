package dev.pitr.backup;

import dev.pitr.catalog.ObjectDescriptions;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotParts;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.storage.Storage;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Stores a tar stream as a snapshot's parts ({@link SnapshotParts}): entry by entry, each part a tar of its own,
 * streamed through the codec into storage as it is read, so nothing is staged on local disk. A part ends before the
 * entry that would take it past {@link SnapshotParts#PART_SIZE}; an entry larger than that makes a part alone.
 */
final class PartWriter {

    /** Writes one entry of the input, read from {@code in}, as one or more entries of {@code out}. */
    @FunctionalInterface
    interface EntryCopier {
        void copy(TarArchiveEntry e, TarArchiveInputStream in, TarArchiveOutputStream out) throws IOException;
    }

    private final ObjectCodec codec;
    private final Storage storage;
    private final SnapshotId id;
    private final String run;
    private final long partSize;
    private final List<String> written = new ArrayList<>();

    /**
     * Room a part keeps beyond an entry's bytes: its header and a PAX header for a long name, the padding of its last
     * block, and the two blocks that end a tar.
     */
    static final long HEADROOM = 4096;

    PartWriter(ObjectCodec codec, Storage storage, SnapshotId id, String run, long partSize) {
        this.codec = codec;
        this.storage = storage;
        this.id = id;
        this.run = run;
        this.partSize = partSize;
    }

    /**
     * Reads every entry of {@code in} into parts, each entry written by {@code copier}; returns the parts in order. A
     * failure (of the stream, the codec or storage) passes as it is; the parts stored by then are {@link #written}.
     */
    SnapshotParts write(TarArchiveInputStream in, EntryCopier copier) throws IOException {
        List<SnapshotParts.Part> parts = new ArrayList<>();
        TarArchiveEntry[] pending = {in.getNextEntry()};
        do {
            String key = SnapshotParts.partKey(id, run, parts.size());
            Checksum sum = Checksum.forBodies(codec.keyring().current().isPresent());
            List<String> entries = new ArrayList<>();
            written.add(key);
            ObjectCodec.Stored stored = codec.put(
                    storage,
                    key,
                    Map.of(ObjectDescriptions.KIND, "snapshot-part", "pitr-snapshot-id", id.value()),
                    out -> {
                        OutputStream hashed = sum.wrap(out);
                        // the index names each entry as the part's tar does (a block-level form by its own name)
                        OutputStream unclosed = new FilterOutputStream(hashed) {
                            @Override
                            public void write(byte[] b, int off, int len) throws IOException {
                                hashed.write(b, off, len);
                            }

                            @Override
                            public void close() throws IOException {
                                // the codec closes the object
                                hashed.flush();
                            }
                        };
                        TarArchiveOutputStream tout = new TarArchiveOutputStream(unclosed) {
                            @Override
                            public void putArchiveEntry(TarArchiveEntry e) throws IOException {
                                entries.add(
                                        e.isDirectory() && !e.getName().endsWith("/")
                                                ? e.getName() + "/"
                                                : e.getName());
                                super.putArchiveEntry(e);
                            }
                        };
                        tout.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                        tout.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                        while (pending[0] != null
                                && (entries.isEmpty() || sum.bytes() + pending[0].getSize() + HEADROOM <= partSize)) {
                            copier.copy(pending[0], in, tout);
                            if (entries.isEmpty()) {
                                throw new IOException("tar entry " + pending[0].getName() + " was written as nothing");
                            }
                            pending[0] = in.getNextEntry();
                        }
                        tout.finish();
                    });
            parts.add(new SnapshotParts.Part(key, sum.value(), sum.bytes(), stored.storedSize(), entries));
        } while (pending[0] != null);
        return new SnapshotParts(parts);
    }

    /** The keys of the parts stored, or begun, so far. */
    List<String> written() {
        return List.copyOf(written);
    }
}
