package dev.pitr.backup;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.Sha256;
import dev.pitr.codec.Zstd;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.io.input.TeeInputStream;

/**
 * A full snapshot compressed by the server ({@code pg_basebackup --compress=server-zstd}): the primary's zstd stream
 * is stored as it arrives, and read once on the way, decompressed, for what pitr needs of it: {@code backup_label}, a
 * checksum of the plain tar (what a restore checks the whole against), and a {@code backup_manifest}. pg_basebackup
 * writes no manifest when it sends a compressed tar to standard output, so this class writes one in PostgreSQL's
 * format: each regular file of the tar, in its order, with its size, modification time and CRC-32C, as the server's
 * own manifest lists them, and the WAL range from the label's start to the end of the segment the backup ended in
 * ({@link #endBound}).
 */
final class ServerCompressed {

    private ServerCompressed() {}

    /** pg_basebackup's options: zstd at {@code level} on the server, on {@code workers} threads there when above 0. */
    static List<String> options(int level, int workers) {
        return List.of(
                "--compress=server-zstd:level=" + level + (workers > 0 ? ",workers=" + workers : ""), "--no-manifest");
    }

    /**
     * One regular file of the tar, as the manifest lists it: {@code rawName} is its name's bytes, one character each
     * (ISO-8859-1), whatever their encoding.
     */
    record File(String rawName, long size, long modifiedEpochSecond, String crc32c) {
        byte[] name() {
            return rawName.getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    /** What {@link #copy} read: the label's text, every regular file, the plain tar's checksum and size. */
    record Read(String label, List<File> files, String plainChecksum, long plainSize) {}

    /**
     * Writes every byte of the zstd stream {@code in} to {@code out} unchanged, to its end, and reads it decompressed
     * on the way: the tar's files for the manifest and {@code backup_label}'s text, and {@code plainSum} over the whole
     * plain tar, telling {@code plainSoFar} how many plain bytes were read.
     *
     * @throws IOException when the stream is not zstd, or not a tar, or holds no {@code backup_label}
     */
    static Read copy(
            InputStream in, OutputStream out, Zstd zstd, Checksum plainSum, java.util.function.LongConsumer plainSoFar)
            throws IOException {
        InputStream tee = new TeeInputStream(in, out, false);
        String label = null;
        List<File> files = new ArrayList<>();
        long[] plainSize = {0};
        InputStream plain = zstd.decompress(tee);
        InputStream counted = new java.io.FilterInputStream(plainSum.wrap(plain)) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    plainSoFar.accept(++plainSize[0]);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    plainSize[0] += n;
                    plainSoFar.accept(plainSize[0]);
                }
                return n;
            }
        };
        // names as the bytes they are: a name that is not UTF-8 is listed by its bytes, as the server lists it
        TarArchiveInputStream tar = new TarArchiveInputStream(counted, StandardCharsets.ISO_8859_1.name());
        byte[] buf = new byte[1 << 16];
        for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
            if (!e.isFile()) {
                continue;
            }
            ManifestFiles.Sum crc = ManifestFiles.Sum.of("CRC32C");
            java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
            boolean isLabel = e.getName().equals("backup_label");
            long size = 0;
            for (int n; (n = tar.read(buf)) > 0; ) {
                crc.update(buf, 0, n);
                size += n;
                if (isLabel) {
                    text.write(buf, 0, n);
                }
            }
            if (isLabel) {
                label = text.toString(StandardCharsets.UTF_8);
            }
            files.add(new File(
                    e.getName(), size, e.getLastModifiedDate().toInstant().getEpochSecond(), crc.hex()));
        }
        // the tar's closing blocks are part of the plain bytes a restore sums, and the stream may hold more frames
        counted.transferTo(OutputStream.nullOutputStream());
        tee.transferTo(OutputStream.nullOutputStream());
        if (label == null) {
            throw new IOException("the server's tar held no backup_label");
        }
        return new Read(label, files, plainSum.value(), plainSize[0]);
    }

    /**
     * The end of the WAL segment the backup ended in, from {@code currentWal} ({@code pg_current_wal_lsn()} on the
     * primary once pg_basebackup returned): pg_basebackup reports no end when it sends a compressed tar to standard
     * output, and the server switches to a new segment as a backup ends, so the segment being written then begins at or
     * after the backup's true end. The bound is what the manifest and the record give as the end: a restore target
     * between the true end and the bound is refused as before the snapshot's consistency point, never replayed short of
     * it.
     */
    static Lsn endBound(Lsn currentWal, long segmentSize) {
        return new Lsn(currentWal.value() - Math.floorMod(currentWal.value(), segmentSize));
    }

    private static final DateTimeFormatter MODIFIED = DateTimeFormatter.ofPattern(
                    "yyyy-MM-dd HH:mm:ss 'GMT'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /**
     * The backup's {@code backup_manifest}: {@code files} with CRC-32C checksums, one WAL range on {@code timeline} from
     * {@code start} to {@code end}, and the manifest's own SHA-256. Version 2, with the {@code systemIdentifier}, for a
     * server of 17 or later ({@code major}), as it writes its own (an incremental backup on it needs that version);
     * version 1, as 13 to 16 write and read it, otherwise.
     */
    static String manifest(
            List<File> files, TimelineId timeline, Lsn start, Lsn end, int major, long systemIdentifier) {
        StringBuilder m = new StringBuilder(
                major >= 17
                        ? "{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"System-Identifier\": "
                                + Long.toUnsignedString(systemIdentifier) + ",\n\"Files\": ["
                        : "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [");
        for (int i = 0; i < files.size(); i++) {
            File f = files.get(i);
            m.append(i == 0 ? "\n" : ",\n").append("{ ");
            String utf8 = utf8(f.name());
            if (utf8 != null) {
                m.append("\"Path\": \"")
                        .append(JsonStringEncoder.getInstance().quoteAsString(utf8))
                        .append('"');
            } else {
                m.append("\"Encoded-Path\": \"")
                        .append(HexFormat.of().formatHex(f.name()))
                        .append('"');
            }
            m.append(", \"Size\": ")
                    .append(f.size())
                    .append(", \"Last-Modified\": \"")
                    .append(MODIFIED.format(java.time.Instant.ofEpochSecond(f.modifiedEpochSecond())))
                    .append("\", \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"")
                    .append(f.crc32c())
                    .append("\" }");
        }
        m.append("\n],\n\"WAL-Ranges\": [\n{ \"Timeline\": ")
                .append(timeline.value())
                .append(", \"Start-LSN\": \"")
                .append(start)
                .append("\", \"End-LSN\": \"")
                .append(end)
                .append("\" }\n],\n");
        String sum = Sha256.of(m.toString().getBytes(StandardCharsets.UTF_8));
        return m.append("\"Manifest-Checksum\": \"").append(sum).append("\"}\n").toString();
    }

    /** {@code name} as UTF-8 text, or null when its bytes are not UTF-8. */
    private static String utf8(byte[] name) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(name))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
