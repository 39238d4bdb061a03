package dev.pitr.wal;

import dev.pitr.catalog.ArchiveConflictException;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.ObjectDescriptions;
import dev.pitr.catalog.SegmentIndex;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Ships one WAL file (a complete segment or a timeline history file) into the archive: compress, encrypt when a key
 * is configured, store, record. The
 * steps are idempotent, so a crash between any two of them is repaired by shipping the same file again; the caller
 * deletes its local copy only after {@link #ship} returns.
 */
public final class WalShipper {

    /** What happened to one file. */
    public enum Outcome {
        ARCHIVED,
        ALREADY_ARCHIVED
    }

    /** The result of shipping one file, for reporting. */
    public record Shipped(String fileName, Outcome outcome, long plainBytes, long storedBytes) {}

    /** Scans at once: each maps a whole segment, and shipping is bound by compression, not by the scan. */
    private static final Semaphore MAPPED = new Semaphore(1);

    private final Repository repo;
    private final Clock clock;
    private final int parallelism;
    private final ClusterIdentity cluster;

    public WalShipper(Repository repo, Clock clock) {
        this(repo, clock, 1);
    }

    /** A shipper that ships up to {@code parallelism} segments of a spool at once ({@code wal.ship_parallelism}). */
    public WalShipper(Repository repo, Clock clock, int parallelism) {
        if (parallelism < 1) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID, "wal.ship_parallelism must be 1 or more", "set it to e.g. 4");
        }
        this.repo = repo;
        this.clock = clock;
        this.parallelism = parallelism;
        this.cluster = new ClusterIdentity(repo.storage());
    }

    /** The catalog segments are recorded in. */
    public Catalog catalog() {
        return repo.catalog();
    }

    /** True for the files this shipper takes: complete segments and history files, never {@code .partial}. */
    public static boolean isShippable(String fileName) {
        return SegmentName.isSegmentFileName(fileName) || TimelineHistory.isHistoryFileName(fileName);
    }

    public Shipped ship(Path file) {
        String name = file.getFileName().toString();
        if (SegmentName.isSegmentFileName(name)) {
            return shipSegment(file, name);
        }
        if (TimelineHistory.isHistoryFileName(name)) {
            return shipHistory(file, name);
        }
        throw new PitrException(
                ErrorCode.USAGE,
                name + " is neither a complete WAL segment nor a timeline history file",
                "pass the %p of archive_command: a segment, a .history, .backup or .partial file");
    }

    /** A backup history file's name: the segment the backup started in, the offset of its start, {@code .backup}. */
    private static final java.util.regex.Pattern BACKUP_HISTORY =
            java.util.regex.Pattern.compile("[0-9A-F]{24}\\.[0-9A-F]{8}\\.backup");

    /** A backup history file is a few lines of text. */
    private static final int BACKUP_HISTORY_MAX = 64 << 10;

    /**
     * True for the other files PostgreSQL's archiver hands archive_command: a backup history file (written as every
     * base backup ends, pitr's own snapshots among them) and the last segment of the timeline a promoted standby left,
     * renamed {@code .partial}. {@link #push} keeps them as they are: PostgreSQL retries a file whose archive_command
     * fails for ever, and archives nothing after it meanwhile. Nothing restores from them: a backup's start and end are
     * in pitr's snapshot records, and the new timeline's first segment holds the WAL of the {@code .partial} up to the
     * switch.
     */
    public static boolean isKeptAsIs(String fileName) {
        return BACKUP_HISTORY.matcher(fileName).matches() || PartialSegments.isPartialSegment(fileName);
    }

    /**
     * Keeps a backup history file or a {@code .partial} ({@link #isKeptAsIs}) under {@link WalKeys#kept}, encoded like
     * every object, and records it nowhere else; the file is streamed, never held whole. A second push of the same
     * bytes finds them kept. Other bytes under the name (a second standby promoted in the same segment) are kept
     * beside the first, under the name and the start of their SHA-256, never over it: refusing them would stop
     * PostgreSQL's archiving for a file nothing restores from.
     */
    private Shipped shipKept(Path file, String name) {
        boolean partial = PartialSegments.isPartialSegment(name);
        long size = size(file);
        if (partial) {
            checkedSegment(
                    file,
                    name,
                    size,
                    "not a segment PostgreSQL renamed at a promotion",
                    "only pass the %p of archive_command");
        } else if (size > BACKUP_HISTORY_MAX
                || !new String(firstBytes(file, 20), StandardCharsets.UTF_8).equals("START WAL LOCATION: ")) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT, name + " is not a backup history file", "inspect the file");
        }
        String sha = sha256(file);
        String key = WalKeys.kept(name);
        java.util.Optional<Long> present = repo.storage().stat(key);
        boolean kept = present.isPresent() && keeps(key, sha);
        if (present.isPresent() && !kept) {
            key = WalKeys.kept(name + "." + sha.substring(0, 16));
            present = repo.storage().stat(key);
            kept = present.isPresent() && keeps(key, sha);
        }
        if (kept) {
            return new Shipped(name, Outcome.ALREADY_ARCHIVED, size, present.get());
        }
        long stored = repo.codec()
                .put(
                        repo.storage(),
                        key,
                        ObjectDescriptions.kept(
                                partial ? "partial-segment" : "backup-history", name, sha, clock.instant()),
                        out -> copyFile(file, Checksum.crc32c(), out))
                .storedSize();
        return new Shipped(name, Outcome.ARCHIVED, size, stored);
    }

    /**
     * True when the object {@code key} holds the bytes whose SHA-256 is {@code sha}: its metadata says so, or its bytes,
     * read back, do. An object that cannot be decoded holds no one's bytes.
     */
    private boolean keeps(String key, String sha) {
        if (sha.equals(ObjectDescriptions.sha256(repo.storage().metadata(key)))) {
            return true;
        }
        Checksum stored = Checksum.sha256();
        try (InputStream in = stored.wrap(repo.codec().open(repo.storage(), key, false))) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            return false;
        } catch (PitrException e) {
            if (e.code() != ErrorCode.CORRUPT_OBJECT) {
                throw e;
            }
            return false;
        }
        return stored.value().equals(sha);
    }

    private static String sha256(Path file) {
        try {
            return summed(file, Checksum.sha256());
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO, "cannot read " + file + ": " + e.getMessage(), "check the path", e);
        }
    }

    /**
     * The segment {@code file} (named {@code name}, or {@code name} plus {@code .partial}) holds, checked before
     * anything is looked up or stored: a whole segment's size, WAL of a version pitr reads, of this repository's cluster
     * (another cluster's segment never takes this cluster's name).
     */
    private SegmentName checkedSegment(Path file, String name, long size, String notWhole, String hint) {
        try {
            SegmentName.validateSegmentSize(size);
        } catch (IllegalArgumentException e) {
            // a usage error, not local-io: archive_command's exits above 125 make PostgreSQL restart its archiver
            throw new PitrException(ErrorCode.USAGE, name + " is " + size + " bytes, " + notWhole, hint);
        }
        SegmentName seg = SegmentName.parse(
                PartialSegments.isPartialSegment(name)
                        ? name.substring(0, name.length() - PartialSegments.SUFFIX.length())
                        : name,
                size);
        ByteBuffer first = ByteBuffer.wrap(firstBytes(file, 64));
        java.util.OptionalInt otherVersion = WalRecords.otherVersionMagic(first);
        if (otherVersion.isPresent()) {
            throw new PitrException(
                    ErrorCode.UNSUPPORTED_VERSION,
                    name + " is WAL of a PostgreSQL version pitr does not read (page magic "
                            + Integer.toHexString(otherVersion.getAsInt()) + "); it is not archived",
                    "pitr reads the WAL of PostgreSQL " + WalFormat.supportedRange()
                            + "; the segment stays where it is (the slot, or archive_command, keeps it on the primary)");
        }
        OptionalLong sysid = WalRecords.systemIdentifier(first);
        if (sysid.isPresent()) {
            cluster.check(seg, sysid.getAsLong(), WalRecords.format(first).orElseThrow());
        }
        return seg;
    }

    private Shipped shipSegment(Path file, String name) {
        long size = size(file);
        SegmentName seg = checkedSegment(
                file, name, size, "not a complete WAL segment", "only ship segments PostgreSQL has finished writing");
        Catalog catalog = repo.catalog();
        var existing = catalog.segment(WalFileName.of(name));
        if (existing.isPresent()) {
            // verify rather than trust: the same name with other bytes is a conflict, never an overwrite
            catalog.recordSegment(record(
                    seg, size, existing.get(), checksum(file, existing.get().checksum())));
            return new Shipped(
                    name, Outcome.ALREADY_ARCHIVED, size, existing.get().storedSize());
        }
        String key = WalKeys.segment(seg);
        // the checksum goes into the object's metadata, which S3 takes before the body: one read of the mapped file
        // sums and indexes it, and the bytes compressed are summed again, to see a change in between
        Scanned scanned = scan(
                file, seg, Checksum.forBodies(repo.codec().keyring().current().isPresent()));
        Instant archivedAt = clock.instant();
        Checksum again = Checksum.crc32c();
        ObjectCodec.Stored stored = repo.codec()
                .put(
                        repo.storage(),
                        key,
                        ObjectDescriptions.segment(seg, size, scanned.checksum(), archivedAt, scanned.index()),
                        out -> copyFile(file, again, out));
        if (!again.value().equals(scanned.crc32c())) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    name + " changed while it was shipped",
                    "a completed segment must not change; check the spool");
        }
        Catalog.Recorded r;
        try {
            r = catalog.recordSegment(new SegmentRecord(
                    seg,
                    size,
                    stored.storedSize(),
                    scanned.checksum(),
                    key,
                    stored.keyId(),
                    archivedAt,
                    scanned.index()));
        } catch (ArchiveConflictException e) {
            // recorded before CRC-32C (and expired since, or the lookup above would have found it): compare in its kind
            if (!e.otherKind() || !checksum(file, e.recorded()).equals(e.recorded())) {
                throw e;
            }
            r = Catalog.Recorded.ALREADY_PRESENT;
        }
        return new Shipped(
                name,
                r == Catalog.Recorded.INSERTED ? Outcome.ARCHIVED : Outcome.ALREADY_ARCHIVED,
                size,
                stored.storedSize());
    }

    private SegmentRecord record(SegmentName seg, long size, SegmentRecord existing, String checksum) {
        return new SegmentRecord(
                seg,
                size,
                existing.storedSize(),
                checksum,
                existing.storageKey(),
                existing.keyId(),
                clock.instant(),
                existing.index());
    }

    /** A segment's checksum as recorded, its CRC-32C (to see a change while it ships), and its time index. */
    record Scanned(String checksum, String crc32c, SegmentIndex index) {}

    /**
     * Reads the segment's WAL records for the time index, and its checksum (of {@code sum}'s kind) and CRC-32C from the
     * same mapping. The segment after it, complete or still {@code .partial}, lies beside it when capture or PostgreSQL
     * is writing it; it completes a record that crosses the end. A segment that cannot be read as WAL is archived all
     * the same, and its index names the problem.
     */
    static Scanned scan(Path file, SegmentName seg, Checksum sum) {
        Path dir = file.toAbsolutePath().getParent();
        String next = seg.next().fileName();
        Path nextFile =
                Files.isRegularFile(dir.resolve(next)) ? dir.resolve(next) : dir.resolve(next + PartialSegments.SUFFIX);
        MappedByteBuffer body = null;
        MappedByteBuffer after = null;
        // a mapped segment's pages count in the process's resident memory until it is unmapped: one at a time
        MAPPED.acquireUninterruptibly();
        try (FileChannel ch = FileChannel.open(file);
                FileChannel nch = Files.isRegularFile(nextFile) ? FileChannel.open(nextFile) : null) {
            body = MappedFiles.map(ch, ch.size());
            sum.update(body.duplicate());
            Checksum crc = sum.isCrc32c() ? sum : Checksum.crc32c();
            if (crc != sum) {
                crc.update(body.duplicate());
            }
            after = nch == null ? null : MappedFiles.map(nch, Math.min(nch.size(), seg.segmentSize()));
            return new Scanned(sum.value(), crc.value(), SegmentIndex.of(WalRecords.read(seg, body, after)));
        } catch (IOException e) {
            // the next file may be renamed or removed under us: read the segment alone
            byte[] plain = read(file);
            Checksum whole = Checksum.forBodies(sum.isCrc32c());
            whole.update(plain, 0, plain.length);
            return new Scanned(
                    whole.value(),
                    Checksum.crc32cOf(plain),
                    SegmentIndex.of(WalRecords.read(seg, ByteBuffer.wrap(plain), null)));
        } finally {
            // the index holds copies: nothing refers to the mappings any more
            MappedFiles.unmap(body);
            MappedFiles.unmap(after);
            MAPPED.release();
        }
    }

    private Shipped shipHistory(Path file, String name) {
        byte[] content = read(file);
        TimelineId tli = TimelineId.parseHex(name.substring(0, 8));
        String text = new String(content, StandardCharsets.UTF_8);
        try {
            TimelineHistory.parse(tli, text);
        } catch (RuntimeException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    name + " is not a valid timeline history: " + e.getMessage(),
                    "inspect the file");
        }
        String sha = Sha256.of(content);
        var existing = repo.catalog().history(tli);
        if (existing.isPresent()) {
            repo.catalog()
                    .recordHistory(new HistoryRecord(
                            tli,
                            text,
                            sha,
                            existing.get().storageKey(),
                            existing.get().storedSize(),
                            clock.instant()));
            return new Shipped(
                    name,
                    Outcome.ALREADY_ARCHIVED,
                    content.length,
                    existing.get().storedSize());
        }
        String key = WalKeys.history(tli);
        Instant archivedAt = clock.instant();
        long stored = repo.codec()
                .put(repo.storage(), key, ObjectDescriptions.history(tli, sha, archivedAt), out -> out.write(content))
                .storedSize();
        Catalog.Recorded r = repo.catalog().recordHistory(new HistoryRecord(tli, text, sha, key, stored, archivedAt));
        return new Shipped(
                name,
                r == Catalog.Recorded.INSERTED ? Outcome.ARCHIVED : Outcome.ALREADY_ARCHIVED,
                content.length,
                stored);
    }

    private static byte[] firstBytes(Path file, int n) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO, "cannot read " + file + ": " + e.getMessage(), "check the spool", e);
        }
    }

    private static void copyFile(Path file, Checksum crc, OutputStream out) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                crc.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
    }

    /**
     * Ships every complete file in {@code spool} and deletes each local copy once it is archived: history files first,
     * one by one (a timeline's history is archived before its segments), then the segments in order, up to
     * {@code parallelism} at a time. Acknowledgement stays in order: a segment's copy is deleted, and it is returned,
     * only after it and every earlier one are archived, so a failure never leaves a hole behind what was acknowledged.
     * Segments after a failed one may be archived already; they are found archived on the next pass.
     */
    public List<Shipped> shipSpool(Path spool) {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(spool)) {
            s.filter(p -> isShippable(p.getFileName().toString())).forEach(files::add);
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CHECK_FAILED,
                    "cannot list spool " + spool + ": " + e.getMessage(),
                    "check wal.spool_dir",
                    e);
        }
        return shipInOrder(files, WalShipper::delete);
    }

    /**
     * archive_command mode ({@code pitr wal push %p}): ships {@code file}, then every other file PostgreSQL has marked
     * ready in {@code archive_status} beside it, as {@link #shipSpool} ships a spool, leaving a receipt in
     * {@value #RECEIPTS} beside it for each. PostgreSQL still runs archive_command for each of those; the command
     * {@link #archiveCommand} gives answers them from their receipts without starting a JVM. A receipt is written only
     * after its file is stored and recorded, and names a file PostgreSQL no longer changes (it is ready), so taking it
     * for success is as safe as shipping again. At most {@code limit} files are pushed ahead per call.
     */
    public List<Shipped> push(Path file, int limit) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            // asked again: under a plain 'pitr wal push %p' archive_command nothing else would ever take its receipt
            Files.deleteIfExists(
                    dir.resolve(RECEIPTS).resolve(file.getFileName().toString()));
        } catch (IOException e) {
            // a receipt left behind is only a small empty file
        }
        String askedName = file.getFileName().toString();
        Shipped asked = isKeptAsIs(askedName) ? shipKept(file, askedName) : ship(file);
        Path status = dir.resolve("archive_status");
        List<Path> ready = new ArrayList<>();
        if (Files.isDirectory(status)) {
            try (Stream<Path> s = Files.list(status)) {
                s.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".ready"))
                        .map(n -> n.substring(0, n.length() - ".ready".length()))
                        .filter(n -> (isShippable(n) || isKeptAsIs(n)) && !n.equals(askedName))
                        .filter(n -> Files.isRegularFile(dir.resolve(n))
                                && !Files.exists(dir.resolve(RECEIPTS).resolve(n)))
                        .sorted()
                        .limit(limit)
                        .forEach(n -> ready.add(dir.resolve(n)));
            } catch (IOException e) {
                // pushing ahead is an optimization; PostgreSQL will ask for each of these itself
                return List.of(asked);
            }
        }
        List<Shipped> out = new ArrayList<>(List.of(asked));
        if (!ready.isEmpty()) {
            try {
                Files.createDirectories(dir.resolve(RECEIPTS));
                java.util.Map<Boolean, List<Path>> kept = ready.stream()
                        .collect(java.util.stream.Collectors.partitioningBy(
                                f -> isKeptAsIs(f.getFileName().toString())));
                out.addAll(shipInOrder(kept.get(false), f -> receipt(dir.resolve(RECEIPTS), f)));
                for (Path f : kept.get(true)) {
                    try {
                        out.add(acknowledged(
                                g -> receipt(dir.resolve(RECEIPTS), g),
                                f,
                                shipKept(f, f.getFileName().toString())));
                    } catch (RuntimeException e) {
                        // PostgreSQL asks for it itself, and hears then why it fails
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the file PostgreSQL asked for is archived; the rest is shipped when it asks for them
            }
        }
        return out;
    }

    /** Where {@link #push} leaves its receipts, beside the pushed file (in pg_wal). */
    public static final String RECEIPTS = ".pitr-pushed";

    /**
     * The archive_command that answers a file pushed ahead from its receipt (removing it) and runs {@code pitr} (the
     * command that starts pitr, e.g. {@code pitr} or {@code java -jar /opt/pitr/pitr.jar}) for any other.
     */
    public static String archiveCommand(String pitr) {
        String r = "pg_wal/" + RECEIPTS + "/%f";
        return "test -f " + r + " && rm -f " + r + " || " + pitr + " wal push %p";
    }

    /**
     * Ships {@code files}: history files first, one by one, then the segments in name order, up to {@code parallelism}
     * at a time, handing each to {@code acknowledge} only after it and every earlier one are archived.
     */
    private List<Shipped> shipInOrder(List<Path> files, java.util.function.Consumer<Path> acknowledge) {
        files = new ArrayList<>(files);
        files.sort((a, b) -> {
            boolean ha = a.getFileName().toString().endsWith(".history");
            boolean hb = b.getFileName().toString().endsWith(".history");
            return ha != hb ? (ha ? -1 : 1) : a.getFileName().compareTo(b.getFileName());
        });
        List<Shipped> out = new ArrayList<>();
        int first = 0;
        while (first < files.size() && files.get(first).getFileName().toString().endsWith(".history")) {
            out.add(acknowledged(acknowledge, files.get(first), ship(files.get(first))));
            first++;
        }
        List<Path> segments = files.subList(first, files.size());
        if (parallelism == 1 || segments.size() < 2) {
            for (Path f : segments) {
                out.add(acknowledged(acknowledge, f, ship(f)));
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallelism, segments.size()), r -> {
            Thread t = new Thread(r, "pitr-ship");
            t.setDaemon(true);
            return t;
        });
        try {
            ArrayDeque<Future<Shipped>> inFlight = new ArrayDeque<>();
            int next = 0;
            for (Path f : segments) {
                while (next < segments.size() && inFlight.size() < parallelism) {
                    Path g = segments.get(next++);
                    inFlight.add(pool.submit(() -> ship(g)));
                }
                out.add(acknowledged(acknowledge, f, await(inFlight.poll())));
            }
            return out;
        } finally {
            pool.shutdown();
            try {
                // let the other uploads end before the next pass may start them again
                pool.awaitTermination(10, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Shipped acknowledged(java.util.function.Consumer<Path> acknowledge, Path file, Shipped shipped) {
        acknowledge.accept(file);
        return shipped;
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("archived " + file + " but cannot delete it", e);
        }
    }

    private static void receipt(Path receipts, Path file) {
        try {
            Path tmp = receipts.resolve("." + file.getFileName() + ".tmp");
            Files.writeString(tmp, "");
            Files.move(tmp, receipts.resolve(file.getFileName()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("archived " + file + " but cannot leave its receipt", e);
        }
    }

    private static Shipped await(Future<Shipped> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new UncheckedIOException(new IOException(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PitrException(ErrorCode.INTERRUPTED, "interrupted while shipping", "ship again");
        }
    }

    /** A file's SHA-256 (what the catalog keeps) and CRC-32C (to see that a second read got the same bytes). */
    /** The checksum of {@code file} in the algorithm {@code like} was made with (the recorded one's, to compare). */
    private static String checksum(Path file, String like) {
        try {
            return summed(file, Checksum.recordedFor(file.getFileName().toString(), like));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code sum} over every byte of {@code file}. */
    private static String summed(Path file, Checksum sum) throws IOException {
        try (InputStream in = sum.wrap(Files.newInputStream(file))) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return sum.value();
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot read " + file + ": " + e.getMessage(),
                    "check the path and its permissions",
                    e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot read " + file + ": " + e.getMessage(),
                    "check the path and its permissions",
                    e);
        }
    }
}
