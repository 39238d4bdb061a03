package dev.pitr.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.catalog.BackupManifest;
import dev.pitr.catalog.ObjectDescriptions;
import dev.pitr.catalog.RetentionState;
import dev.pitr.catalog.SnapshotChain;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotLineage;
import dev.pitr.catalog.SnapshotParts;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Primary;
import dev.pitr.status.Progress;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Takes a base backup: {@code pg_basebackup} writes one tar to stdout, which is hashed, compressed and streamed into
 * storage as it arrives, so the backup is never staged on local disk. While it streams, {@code backup_label} and
 * {@code backup_manifest} are read out of the tar for the manifest. The snapshot counts as complete only once every
 * WAL segment from its start to its stop is archived.
 */
public final class SnapshotService {

    private final Repository repo;
    private final PgTools tools;
    private final Primary primary;
    private final Clock clock;
    private final Duration walTimeout;
    private final PrintWriter log;
    private int compressionWorkers = Runtime.getRuntime().availableProcessors();
    private int fullEvery;
    private int maxChain = 30;
    private SnapshotLineage.Kind incrementalKind;
    private Path spillDir = Path.of(System.getProperty("java.io.tmpdir"));
    private long partSize = SnapshotParts.PART_SIZE;
    private Compression compression = Compression.AUTO;
    /** Set once the server refused to compress: {@code AUTO} then compresses here for the life of this service. */
    private volatile boolean serverRefused;

    /** Where a full snapshot is compressed ({@code snapshot.compression}); an incremental always here. */
    public enum Compression {
        /** On the server where it can (PostgreSQL 15 and later) and the snapshot fits one object; here otherwise. */
        AUTO,
        /** On the server: {@code pg_basebackup --compress=server-zstd}, stored as one object as the server sent it. */
        SERVER,
        /** Here, on {@code snapshot.compression_workers} threads, in parts ({@link SnapshotParts}). */
        CLIENT
    }

    /** Which kind of snapshot {@link #create} takes. */
    public enum Mode {
        /** Every file whole. */
        FULL,
        /** Only what changed since the newest complete snapshot of the timeline, when one fits; a full otherwise. */
        INCREMENTAL,
        /** Incremental until {@code snapshot.full_every} incrementals stand on the newest full, then a full. */
        SCHEDULED
    }

    /** Snapshots as the configuration describes them: of the primary, waiting {@code snapshot.wal_timeout_seconds}. */
    public static SnapshotService from(Config config, Repository repo, Clock clock, PrintWriter log) {
        return new SnapshotService(
                        repo,
                        PgTools.from(config),
                        Primary.from(config),
                        clock,
                        Duration.ofSeconds(config.requireInt(Key.SNAPSHOT_WAL_TIMEOUT_SECONDS)),
                        log)
                .compressionWorkers(config.compressionWorkers())
                .chains(config.requireInt(Key.SNAPSHOT_FULL_EVERY), config.requireInt(Key.SNAPSHOT_MAX_CHAIN))
                .incrementalKind(incrementalKind(config))
                .partSize(partSize(config))
                .compression(compression(config))
                .spillDir(config.get(Key.WAL_SPOOL_DIR)
                        .map(d -> config.requirePath(Key.WAL_SPOOL_DIR))
                        .filter(Files::isDirectory)
                        .orElse(null));
    }

    public SnapshotService(
            Repository repo, PgTools tools, Primary primary, Clock clock, Duration walTimeout, PrintWriter log) {
        this.repo = repo;
        this.tools = tools;
        this.primary = primary;
        this.clock = clock;
        this.walTimeout = walTimeout;
        this.log = log;
    }

    /**
     * Compresses on {@code n} zstd workers beside the thread that reads pg_basebackup's stream (default: one per
     * core); {@code snapshot.compression_workers}.
     */
    public SnapshotService compressionWorkers(int n) {
        this.compressionWorkers = n;
        return this;
    }

    /**
     * How many incrementals a {@link Mode#SCHEDULED} snapshot stacks on a full before the next full ({@code
     * snapshot.full_every}; 0: every scheduled snapshot is a full), and the longest chain any incremental may make
     * ({@code snapshot.max_chain}).
     */
    public SnapshotService chains(int fullEvery, int maxChain) {
        this.fullEvery = fullEvery;
        this.maxChain = maxChain;
        return this;
    }

    /**
     * Which kind of incremental to take: {@code NATIVE} (PostgreSQL's own, a full where the server cannot), {@code
     * BLOCK} (pitr's block-level form), or null, the default: PostgreSQL's own where {@code summarize_wal} is on,
     * block-level otherwise ({@code snapshot.incremental_kind: native | block | auto}).
     */
    public SnapshotService incrementalKind(SnapshotLineage.Kind kind) {
        if (kind == SnapshotLineage.Kind.FULL) {
            throw new IllegalArgumentException("an incremental is block-level or native");
        }
        this.incrementalKind = kind;
        return this;
    }

    /**
     * How many plain bytes a part of the snapshot holds at most, unless one file alone is larger ({@code
     * snapshot.object_size_mb}, {@link SnapshotParts}).
     */
    public SnapshotService partSize(long bytes) {
        this.partSize = bytes;
        return this;
    }

    private static long partSize(Config config) {
        int mb = config.requireInt(Key.SNAPSHOT_OBJECT_SIZE_MB);
        if (mb < 1 || mb > 4096) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "snapshot.object_size_mb is " + mb,
                    "set it from 1 to 4096 (default 64): the most plain bytes, in MiB, one object of a snapshot holds");
        }
        return (long) mb << 20;
    }

    /** Where full snapshots are compressed ({@code snapshot.compression}). */
    public SnapshotService compression(Compression where) {
        this.compression = where;
        return this;
    }

    private static Compression compression(Config config) {
        String v = config.require(Key.SNAPSHOT_COMPRESSION);
        return switch (v) {
            case "auto" -> Compression.AUTO;
            case "server" -> Compression.SERVER;
            case "client" -> Compression.CLIENT;
            default ->
                throw new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "snapshot.compression is '" + v + "'",
                        "set it to auto, server or client");
        };
    }

    private static SnapshotLineage.Kind incrementalKind(Config config) {
        String v = config.require(Key.SNAPSHOT_INCREMENTAL_KIND);
        return switch (v) {
            case "auto" -> null;
            case "block" -> SnapshotLineage.Kind.BLOCK;
            case "native" -> SnapshotLineage.Kind.NATIVE;
            default ->
                throw new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "snapshot.incremental_kind is '" + v + "'",
                        "set it to auto, block or native");
        };
    }

    /**
     * Where an incremental's changed blocks of a relation file larger than {@value #IN_MEMORY} bytes wait until the
     * file is read (a tar entry needs its size first); null: the JVM's temporary directory.
     */
    public SnapshotService spillDir(Path dir) {
        if (dir != null) {
            this.spillDir = dir;
        }
        return this;
    }

    public SnapshotRecord create(String label) {
        return create(label, Mode.FULL, total -> Progress.NONE);
    }

    public SnapshotRecord create(String label, Mode mode) {
        return create(label, mode, total -> Progress.NONE);
    }

    /**
     * Takes a snapshot, reporting the bytes streamed to the progress {@code progress} makes for the estimated total (the
     * size of every database). An incremental keeps, of every relation file, only the pages changed since its parent
     * started ({@link ChangedBlocks}), and every other file whole; the primary still sends every byte.
     */
    public SnapshotRecord create(String label, Mode mode, java.util.function.LongFunction<Progress> progress) {
        Server server = server();
        Optional<Parent> parent = parent(mode, server);
        Progress shown = progress.apply(server.estimatedSize());
        boolean onServer = parent.isEmpty() && onServer(server);
        if (onServer && compression == Compression.AUTO) {
            try {
                return take(label, parent, shown, true, server);
            } catch (ServerRefused e) {
                // a server built without zstd, say: it refuses before it sends anything
                serverRefused = true;
                log("compressing the snapshot here: the server did not: " + e.getMessage());
                return take(label, parent, shown, false, server);
            }
        }
        return take(label, parent, shown, onServer, server);
    }

    /**
     * What a snapshot needs to know of the server before pg_basebackup starts: its major version, whether it is a
     * standby, whether it summarizes WAL (17 and later), its WAL segment size, and about how many bytes
     * pg_basebackup will stream (the size of every database; 0 when the role may not ask).
     */
    private record Server(int major, boolean standby, boolean summarizesWal, long segmentSize, long estimatedSize) {}

    /** {@link Server}, asked on one connection. */
    private Server server() {
        try (Primary.Session s = primary.session()) {
            int major = Primary.major(s.queryOne("SHOW server_version_num"));
            long estimated;
            try {
                estimated = Long.parseLong(s.queryOne("SELECT sum(pg_database_size(oid))::bigint FROM pg_database"));
            } catch (RuntimeException e) {
                estimated = 0;
            }
            return new Server(
                    major,
                    "t".equals(s.queryOne("SELECT pg_is_in_recovery()")),
                    major >= 17 && "on".equals(s.queryOne("SELECT current_setting('summarize_wal', true)")),
                    Long.parseLong(s.queryOne("SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'")),
                    estimated);
        }
    }

    /** What {@code snapshot.compression: auto} meets when the server refuses to compress before it sent a byte. */
    private static final class ServerRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ServerRefused(String message) {
            super(message);
        }
    }

    private SnapshotRecord take(
            String label, Optional<Parent> parent, Progress shown, boolean onServer, Server server) {
        long segmentSize = server.segmentSize();
        Instant started = clock.instant();
        SnapshotId id = uniqueId(started);
        String run = SnapshotParts.newRun();
        String key = SnapshotParts.indexKey(id, run);
        List<String> cmd = new ArrayList<>();
        cmd.add(tools.forMajor(server.major()).path("pg_basebackup"));
        cmd.addAll(primary.clientArgs());
        cmd.addAll(List.of("-D", "-", "-F", "t", "-X", "none", "--checkpoint=fast", "-l", "pitr " + id));
        if (onServer) {
            cmd.addAll(ServerCompressed.options(repo.codec().zstd().level(), compressionWorkers));
        }
        Path parentManifest = parent.filter(Parent::isNative)
                .map(pa -> writeManifest(pa.manifest()))
                .orElse(null);
        if (parentManifest != null) {
            cmd.add("--incremental=" + parentManifest);
        }
        log("snapshot " + id + ": starting pg_basebackup" + (onServer ? ", compressed on the server" : "")
                + parent.map(pa -> (pa.isNative() ? ", incremental on " : ", keeping the blocks changed since ")
                                + pa.record().id() + " (" + pa.record().startLsn() + ")")
                        .orElse(""));
        Captured captured = new Captured();
        Changed changed = new Changed();
        Parent blockParent = parent.filter(pa -> !pa.isNative()).orElse(null);
        PartWriter parts = new PartWriter(
                repo.codec().withCompressionWorkers(compressionWorkers), repo.storage(), id, run, partSize);
        // what this run stores is removed again if it fails before the catalog records the snapshot
        List<String> written = new ArrayList<>();
        Process p = null;
        Body body;
        SnapshotRecord rec;
        try {
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd);
                pb.environment().putAll(primary.clientEnv());
                p = pb.start();
            } catch (IOException e) {
                throw new PitrException(
                        ErrorCode.BACKUP_FAILED,
                        "cannot start pg_basebackup: " + e.getMessage(),
                        "run 'pitr check'",
                        e);
            }
            try {
                p.getOutputStream().close();
            } catch (IOException ignored) {
                // pg_basebackup reads nothing from stdin
            }
            CompletableFuture<String> stderr = readAsync(p.getErrorStream());
            Counting sent = null;
            try {
                if (onServer) {
                    // the progress counts plain bytes, as they come out of the server's stream
                    sent = new Counting(p.getInputStream(), Progress.NONE);
                    InputStream stdout = new java.io.BufferedInputStream(sent, 1 << 16);
                    String object = SnapshotParts.serverCompressedKey(id, run);
                    written.add(object);
                    ServerCompressed.Read[] read = {null};
                    ObjectCodec.Stored st = repo.codec()
                            .putCompressed(
                                    repo.storage(),
                                    object,
                                    Map.of(ObjectDescriptions.KIND, "snapshot", "pitr-snapshot-id", id.value()),
                                    out -> read[0] = ServerCompressed.copy(
                                            stdout,
                                            out,
                                            repo.codec().zstd(),
                                            Checksum.forBodies(repo.codec()
                                                    .keyring()
                                                    .current()
                                                    .isPresent()),
                                            shown::at));
                    exited(p, stderr);
                    captured.label = read[0].label();
                    BackupLabel bl = label(captured.label);
                    try (Primary.Session session = primary.session()) {
                        Lsn end = ServerCompressed.endBound(writtenOn(bl, session), segmentSize);
                        captured.manifest = ServerCompressed.manifest(
                                read[0].files(),
                                bl.timeline(),
                                bl.startLsn(),
                                end,
                                server.major(),
                                // a bigint there, negative above 2^63; the manifest writes it unsigned
                                Long.parseLong(session.queryOne("SELECT system_identifier FROM pg_control_system()")));
                    }
                    body = new Body(
                            object, read[0].plainChecksum(), read[0].plainSize(), st.storedSize(), st.keyId(), 1);
                } else {
                    InputStream stdout =
                            new java.io.BufferedInputStream(new Counting(p.getInputStream(), shown), 1 << 16);
                    SnapshotParts stored = parts.write(
                            new TarArchiveInputStream(stdout),
                            (e, in, out) -> copyEntry(e, in, out, captured, blockParent, changed));
                    // trailing zero blocks
                    stdout.transferTo(OutputStream.nullOutputStream());
                    exited(p, stderr);
                    byte[] index = stored.json();
                    written.add(key);
                    ObjectCodec.Stored indexStored = repo.codec()
                            .put(
                                    repo.storage(),
                                    key,
                                    Map.of(ObjectDescriptions.KIND, "snapshot", "pitr-snapshot-id", id.value()),
                                    out -> out.write(index));
                    body = new Body(
                            key,
                            Sha256.of(index),
                            stored.plainSize(),
                            stored.storedSize() + indexStored.storedSize(),
                            indexStored.keyId(),
                            stored.parts().size());
                }
            } catch (IOException | PitrException e) {
                // the stream ended early, or was not what it should be: when pg_basebackup failed, its words say why
                String failed = onServer ? failure(p, stderr) : null;
                if (failed != null
                        && compression == Compression.AUTO
                        && sent != null
                        && sent.count == 0
                        && failed.toLowerCase(java.util.Locale.ROOT).contains("zstd")) {
                    throw new ServerRefused(failed);
                }
                throw new PitrException(
                        ErrorCode.BACKUP_FAILED,
                        "snapshot " + id + " failed: " + (failed != null ? failed : e.getMessage()),
                        "run 'pitr check' and look at the server log",
                        e);
            }
            shown.finish();
            Instant stopped = clock.instant();
            if (captured.label == null || captured.manifest == null) {
                throw new PitrException(
                        ErrorCode.BACKUP_FAILED,
                        "pg_basebackup's tar held no backup_label or backup_manifest",
                        "use pg_basebackup 13 or later");
            }
            BackupLabel bl = BackupLabel.parse(captured.label);
            if (parent.isPresent() && !parent.get().record().timeline().equals(bl.timeline())) {
                throw new PitrException(
                        ErrorCode.BACKUP_FAILED,
                        "snapshot " + id + " started on timeline " + bl.timeline() + ", not on its parent "
                                + parent.get().record().id() + "'s timeline "
                                + parent.get().record().timeline()
                                + ": the server was promoted meanwhile",
                        "take the snapshot again; it will be a full");
            }
            Lsn stopLsn = stopLsn(captured.manifest, bl.timeline());
            SegmentName first = SegmentName.containing(bl.timeline(), bl.startLsn(), segmentSize);
            SegmentName last = SegmentName.containing(bl.timeline(), new Lsn(stopLsn.value() - 1), segmentSize);
            // PostgreSQL's manifest is an object of its own, encoded like every other; the catalog keeps where and its
            // sum
            byte[] manifestText = captured.manifest.getBytes(StandardCharsets.UTF_8);
            String manifestKey = BackupManifest.keyFor(id);
            written.add(manifestKey);
            repo.codec()
                    .put(
                            repo.storage(),
                            manifestKey,
                            Map.of(ObjectDescriptions.KIND, "backup-manifest"),
                            out -> out.write(manifestText));
            BackupManifest manifestRef = new BackupManifest(manifestKey, Sha256.of(manifestText), manifestText.length);
            rec = new SnapshotRecord(
                    id,
                    label,
                    SnapshotRecord.Status.RUNNING,
                    bl.timeline(),
                    bl.startLsn(),
                    stopLsn,
                    started,
                    stopped,
                    first.walFileName(),
                    last.walFileName(),
                    body.plainSize(),
                    body.storedSize(),
                    body.checksum(),
                    body.storageKey(),
                    body.keyId(),
                    manifestRef,
                    RetentionState.RETAINED,
                    parent.map(pa -> new SnapshotLineage(pa.kind(), pa.record().id()))
                            .orElse(SnapshotLineage.FULL));
            repo.catalog().createSnapshot(rec);
        } catch (RuntimeException e) {
            if (p != null) {
                p.destroyForcibly();
            }
            written.addAll(0, parts.written());
            removeQuietly(written);
            throw e;
        } finally {
            deleteQuietly(parentManifest);
        }
        SegmentName first = SegmentName.containing(rec.timeline(), rec.startLsn(), segmentSize);
        SegmentName last = SegmentName.of(rec.lastSegment(), segmentSize);
        if (parent.isPresent() && !parent.get().isNative()) {
            log("snapshot " + id + ": incremental on " + parent.get().record().id() + ", " + changed.keptBlocks + " of "
                    + changed.fileBlocks + " relation blocks changed");
        }
        log("snapshot " + id + ": " + body.plainSize() + " bytes stored as " + rec.storedSize() + " in "
                + body.objects() + (onServer ? " object, as the server compressed it" : " part(s)")
                + "; waiting for WAL "
                + first + ".." + last);
        try {
            awaitWal(first, last);
        } catch (PitrException e) {
            repo.catalog().updateSnapshot(rec.withStatus(SnapshotRecord.Status.FAILED));
            throw e;
        }
        SnapshotRecord done = rec.withStatus(SnapshotRecord.Status.COMPLETE);
        // the sidecar first: a catalog that calls the snapshot complete can always be rebuilt to say so again
        byte[] manifest = ObjectDescriptions.snapshotManifest(done);
        repo.codec()
                .put(
                        repo.storage(),
                        ObjectDescriptions.snapshotManifestKey(id),
                        Map.of(ObjectDescriptions.KIND, "snapshot-manifest"),
                        out -> out.write(manifest));
        repo.catalog().updateSnapshot(done);
        log("snapshot " + id + " complete: start " + rec.startLsn() + ", stop " + rec.stopLsn() + " on timeline "
                + rec.timeline());
        return done;
    }

    /**
     * The snapshot an incremental in {@code mode} stands on, and the kind it will be: the newest complete snapshot of
     * the primary's timeline, when its chain is whole, of the same kind, and one more link keeps it within the limit.
     * PostgreSQL 17 and later with {@code summarize_wal} on take their own incremental backups ({@link
     * SnapshotLineage.Kind#NATIVE}); otherwise the server must WAL-log every page change (data checksums or {@code
     * wal_log_hints}), without which a page whose hint bits alone changed keeps its old LSN, for a block-level one.
     * Empty for a full, with the reason logged.
     */
    private Optional<Parent> parent(Mode mode, Server server) {
        int limit = mode == Mode.FULL ? 0 : mode == Mode.INCREMENTAL ? maxChain : Math.min(fullEvery, maxChain);
        if (limit <= 0) {
            if (mode == Mode.INCREMENTAL) {
                log("snapshot.max_chain is " + maxChain + ": taking a full snapshot");
            }
            return Optional.empty();
        }
        boolean summarized = server.summarizesWal();
        if (incrementalKind == SnapshotLineage.Kind.NATIVE && !summarized) {
            log("taking a full snapshot: snapshot.incremental_kind is native, and PostgreSQL's own incremental backups"
                    + " need PostgreSQL 17 or later with summarize_wal = on");
            return Optional.empty();
        }
        boolean isNative = summarized && incrementalKind != SnapshotLineage.Kind.BLOCK;
        SnapshotLineage.Kind kind = isNative ? SnapshotLineage.Kind.NATIVE : SnapshotLineage.Kind.BLOCK;
        if (!isNative
                && !"t"
                        .equals(primary.queryOne("SELECT current_setting('data_checksums') = 'on'"
                                + " OR current_setting('wal_log_hints') = 'on'"))) {
            log("taking a full snapshot: an incremental needs data checksums or wal_log_hints = on on the server, so"
                    + " that every changed page carries a new LSN (set wal_log_hints = on and restart PostgreSQL)");
            return Optional.empty();
        }
        TimelineId tli =
                TimelineId.of(Long.parseLong(primary.queryOne("SELECT timeline_id FROM pg_control_checkpoint()")));
        List<SnapshotRecord> all = repo.catalog().snapshots();
        Optional<SnapshotRecord> newest = all.stream()
                .filter(x -> x.status() == SnapshotRecord.Status.COMPLETE
                        && x.timeline().equals(tli))
                .max(Comparator.comparing(SnapshotRecord::stopLsn));
        if (newest.isEmpty()) {
            log("taking a full snapshot: no complete snapshot of timeline " + tli + " to stand on");
            return Optional.empty();
        }
        SnapshotChain.Resolved chain = SnapshotChain.resolve(newest.get(), SnapshotChain.lookup(all));
        if (chain.broken().isPresent()) {
            log("taking a full snapshot: " + chain.broken().get().reason());
            return Optional.empty();
        }
        int length = chain.chain().orElseThrow().length();
        if (length >= limit) {
            log("taking a full snapshot: " + length + " incremental(s) already stand on full "
                    + chain.chain().orElseThrow().full().id() + " ("
                    + (mode == Mode.INCREMENTAL ? "snapshot.max_chain" : "snapshot.full_every") + " is " + limit + ")");
            return Optional.empty();
        }
        SnapshotChain links = chain.chain().orElseThrow();
        for (SnapshotRecord link : links.links()) {
            if (link.lineage().incremental() && link.lineage().kind() != kind) {
                log("taking a full snapshot: the chain of " + newest.get().id() + " is "
                        + link.lineage().kind().name().toLowerCase(java.util.Locale.ROOT) + ", and this one would be "
                        + kind.name().toLowerCase(java.util.Locale.ROOT));
                return Optional.empty();
            }
        }
        if (!isNative
                && "t"
                        .equals(primary.queryOne("SELECT pg_postmaster_start_time() > '"
                                + newest.get().startTime() + "'::timestamptz"))) {
            // a restart may have changed what moves a page's LSN (wal_log_hints, data checksums turned on offline)
            log("taking a full snapshot: the server restarted since "
                    + newest.get().id() + " was taken, and a"
                    + " block-level incremental relies on every page change since its parent moving the page's LSN");
            return Optional.empty();
        }
        if (isNative
                && !"t"
                        .equals(primary.queryOne("SELECT count(*) > 0 FROM pg_available_wal_summaries() WHERE tli = "
                                + tli.value() + " AND start_lsn <= '"
                                + newest.get().startLsn() + "'::pg_lsn AND end_lsn"
                                + " >= '" + newest.get().startLsn() + "'::pg_lsn"))) {
            // pg_basebackup --incremental would fail: the server's WAL summaries do not reach back to the parent
            log("taking a full snapshot: the server's WAL summaries do not cover the start of "
                    + newest.get().id() + " (" + newest.get().startLsn()
                    + "); summarize_wal was off then, or wal_summary_keep_time passed");
            return Optional.empty();
        }
        if (isNative && SnapshotParts.isServerCompressed(newest.get().storageKey())) {
            // PostgreSQL's incremental backup reads its parent's manifest; pitr wrote that one, and no server here with
            // zstd and incremental backups has read one
            log("taking a full snapshot: " + newest.get().id()
                    + " was compressed on the server, and its backup_manifest"
                    + " (written by pitr) is not one PostgreSQL's incremental backups are taken on"
                    + " (snapshot.compression: client keeps native incrementals)");
            return Optional.empty();
        }
        if (newest.get().backupManifest() == null) {
            log("taking a full snapshot: " + newest.get().id() + " was taken before backup_manifest was stored");
            return Optional.empty();
        }
        try {
            byte[] manifest = newest.get()
                    .backupManifest()
                    .read(repo.codec(), repo.storage(), newest.get().keyId() != null);
            return Optional.of(new Parent(
                    newest.get(),
                    kind,
                    new String(manifest, StandardCharsets.UTF_8),
                    ManifestFiles.parse(manifest).entries().keySet()));
        } catch (IOException | PitrException e) {
            log("taking a full snapshot: the backup_manifest of " + newest.get().id() + " cannot be read: "
                    + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The snapshot an incremental stands on, the kind the incremental is, and its {@code backup_manifest}: a native
     * incremental sends it to the server, and a block-level one stores whole every relation file it does not list (a
     * database created from a template copies its files with their old page LSNs).
     */
    private record Parent(
            SnapshotRecord record, SnapshotLineage.Kind kind, String manifest, java.util.Set<String> files) {
        boolean isNative() {
            return kind == SnapshotLineage.Kind.NATIVE;
        }
    }

    /** The parent's manifest in a file of its own, for {@code pg_basebackup --incremental}. */
    private Path writeManifest(String manifest) {
        try {
            Path f = Files.createTempFile(spillDir, "pitr-parent-", ".manifest");
            Files.writeString(f, manifest);
            return f;
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot write the parent's backup_manifest into " + spillDir + ": " + e.getMessage(),
                    "free space in " + spillDir,
                    e);
        }
    }

    /** Removes the parts of a failed snapshot, with their envelopes; what cannot be removed stays unreferenced. */
    private void removeQuietly(List<String> keys) {
        for (String k : keys) {
            for (String key : List.of(k, ObjectCodec.envelopeKey(k))) {
                try {
                    repo.storage().delete(key);
                } catch (RuntimeException e) {
                    log("could not remove " + key + " of the failed snapshot: " + e.getMessage());
                }
            }
        }
    }

    private static void deleteQuietly(Path f) {
        if (f != null) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                // a leftover copy of a manifest is harmless
            }
        }
    }

    /** An id no snapshot of the catalog has, and no object in storage is stored under (one of a failed run, say). */
    private SnapshotId uniqueId(Instant t) {
        SnapshotId id = SnapshotId.at(t);
        for (int i = 1;
                repo.catalog().snapshot(id).isPresent()
                        || !repo.storage().list("snapshots/" + id + "/").isEmpty();
                i++) {
            id = new SnapshotId(SnapshotId.at(t).value() + "-" + i);
        }
        return id;
    }

    /**
     * What holds the snapshot's tar: the object the record points at (the index of its parts, or the one object the
     * server compressed), its checksum, and the plain and stored bytes of everything stored.
     */
    private record Body(
            String storageKey, String checksum, long plainSize, long storedSize, String keyId, int objects) {}

    /**
     * Whether a full snapshot is compressed on the server: as configured, where the server can ({@code AUTO}: a primary
     * of 15 or later that did not refuse before, no native incrementals to come, and the databases' size fits one
     * object of the storage).
     */
    private boolean onServer(Server server) {
        if (compression == Compression.CLIENT || (compression == Compression.AUTO && serverRefused)) {
            return false;
        }
        int major = server.major();
        if (server.standby()) {
            // a standby does not switch segments as a backup ends: only its own manifest says where the backup ends
            if (compression == Compression.SERVER) {
                log("compressing the snapshot here: the server is a standby");
            }
            return false;
        }
        if (major < 15) {
            if (compression == Compression.SERVER) {
                throw new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "snapshot.compression is server, and PostgreSQL " + major
                                + " cannot compress a base backup (15 and later can)",
                        "set snapshot.compression to auto or client");
            }
            return false;
        }
        if (compression == Compression.AUTO
                && server.summarizesWal()
                && incrementalKind != SnapshotLineage.Kind.BLOCK) {
            // PostgreSQL's own incrementals stand on a full with PostgreSQL's own manifest
            return false;
        }
        long largest = repo.storage().largestObject().orElse(Long.MAX_VALUE);
        if (compression == Compression.AUTO && server.estimatedSize() > largest) {
            log("compressing the snapshot here, in parts: the databases hold " + server.estimatedSize()
                    + " bytes, and one object of " + repo.storage().describe() + " holds " + largest + " at most");
            return false;
        }
        return true;
    }

    private static BackupLabel label(String text) throws IOException {
        try {
            return BackupLabel.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Where the primary writes WAL now, once pg_basebackup returned: a backup of a primary ends with a switch to a new
     * segment, so that segment begins at or after the backup's end ({@link ServerCompressed#endBound}). Only on the
     * timeline the backup started on: after a failover in between, another server's position says nothing of where
     * this backup ended.
     */
    private Lsn writtenOn(BackupLabel bl, Primary.Session session) throws IOException {
        String now = session.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn()) || pg_current_wal_lsn()");
        TimelineId tli = TimelineId.parseHex(now.substring(0, 8));
        if (!tli.equals(bl.timeline())) {
            throw new IOException("the server writes timeline " + tli + " now, and the backup started on timeline "
                    + bl.timeline() + ": it was promoted as the snapshot ended; take the snapshot again");
        }
        return Lsn.parse(now.substring(24));
    }

    /** What pg_basebackup said, when it exited other than 0 within a few seconds; null when it did not. */
    private static String failure(Process p, CompletableFuture<String> stderr) {
        try {
            if (p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() != 0) {
                return exitedWith(p.exitValue(), stderr);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    /** Waits for pg_basebackup; an exit other than 0 fails with its words. */
    private static void exited(Process p, CompletableFuture<String> stderr) throws IOException {
        int rc = waitFor(p);
        if (rc != 0) {
            throw new IOException(exitedWith(rc, stderr));
        }
    }

    /** pg_basebackup's exit {@code rc} and its words (its error output ends as it exits). */
    private static String exitedWith(int rc, CompletableFuture<String> stderr) {
        return "pg_basebackup exited with " + rc + ": " + stderr.join().strip();
    }

    /** Holds what is read out of the tar stream. */
    private static final class Captured {
        String label;
        String manifest;
    }

    /** What an incremental kept of the relation files it read. */
    private static final class Changed {
        long fileBlocks;
        long keptBlocks;
    }

    /** Relation files up to this size are turned into their block-level form in memory; larger ones spill to disk. */
    private static final int IN_MEMORY = 32 << 20;

    /**
     * Writes one entry of pg_basebackup's tar into the snapshot's, reading {@code backup_label} and {@code
     * backup_manifest} out of it on the way. For a block-level incremental ({@code parent} not null), a relation file the
     * parent holds too, whose size is a whole number of pages, becomes its block-level form ({@link ChangedBlocks}, the
     * pages changed since the parent started) under its name plus {@value ChangedBlocks#SUFFIX}; every other entry is
     * written as it is.
     */
    private void copyEntry(
            TarArchiveEntry e,
            TarArchiveInputStream tar,
            TarArchiveOutputStream tout,
            Captured captured,
            Parent parent,
            Changed changed)
            throws IOException {
        String name = e.getName();
        if (parent != null && name.endsWith(ChangedBlocks.SUFFIX)) {
            throw new IOException("the data directory holds " + name + ", a name an incremental snapshot gives"
                    + " the changed blocks of a relation file; move it out of the data directory");
        }
        if (e.isFile() && (name.equals("backup_label") || name.equals("backup_manifest"))) {
            byte[] text = tar.readAllBytes();
            if (name.equals("backup_label")) {
                captured.label = new String(text, StandardCharsets.UTF_8);
            } else {
                captured.manifest = new String(text, StandardCharsets.UTF_8);
            }
            tout.putArchiveEntry(e);
            tout.write(text);
            tout.closeArchiveEntry();
        } else if (parent != null
                && e.isFile()
                && ChangedBlocks.storedAsBlocks(
                        name, e.getSize(), parent.files().contains(name))) {
            writeChanged(tar, e, tout, parent.record().startLsn(), changed);
        } else {
            tout.putArchiveEntry(e);
            tar.transferTo(tout);
            tout.closeArchiveEntry();
        }
    }

    /** Writes the block-level form of the relation file {@code e} as an entry of its own. */
    private void writeChanged(
            TarArchiveInputStream tar, TarArchiveEntry e, TarArchiveOutputStream tout, Lsn since, Changed changed)
            throws IOException {
        TarArchiveEntry form = new TarArchiveEntry(e.getName() + ChangedBlocks.SUFFIX);
        form.setMode(e.getMode());
        form.setModTime(e.getModTime());
        if (e.getSize() <= IN_MEMORY) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ChangedBlocks.Kept kept = ChangedBlocks.write(tar, e.getSize(), since, bytes);
            count(kept, changed);
            form.setSize(bytes.size());
            tout.putArchiveEntry(form);
            bytes.writeTo(tout);
            tout.closeArchiveEntry();
            return;
        }
        Path spill = Files.createTempFile(spillDir, "pitr-blocks-", ".tmp");
        try {
            try (OutputStream f = new java.io.BufferedOutputStream(Files.newOutputStream(spill), 1 << 16)) {
                count(ChangedBlocks.write(tar, e.getSize(), since, f), changed);
            }
            form.setSize(Files.size(spill));
            tout.putArchiveEntry(form);
            Files.copy(spill, tout);
            tout.closeArchiveEntry();
        } finally {
            Files.deleteIfExists(spill);
        }
    }

    private static void count(ChangedBlocks.Kept kept, Changed changed) {
        changed.fileBlocks += kept.fileBlocks();
        changed.keptBlocks += kept.keptBlocks();
    }

    private static Lsn stopLsn(String manifest, TimelineId tli) {
        try {
            JsonNode ranges = new ObjectMapper().readTree(manifest).path("WAL-Ranges");
            Lsn end = null;
            for (JsonNode r : ranges) {
                if (r.path("Timeline").asLong() == tli.value() || end == null) {
                    end = Lsn.parse(r.path("End-LSN").asText());
                }
            }
            if (end == null) {
                throw new IllegalArgumentException("no WAL-Ranges");
            }
            return end;
        } catch (IOException | IllegalArgumentException e) {
            throw new PitrException(
                    ErrorCode.BACKUP_FAILED, "cannot read backup_manifest: " + e.getMessage(), "report this as a bug");
        }
    }

    private void awaitWal(SegmentName first, SegmentName last) {
        Instant deadline = clock.instant().plus(walTimeout);
        // capture ships the backup's last segment within about a second of the switch that completes it: looked for
        // soon, then every 200 ms
        long pause = 20;
        while (true) {
            long have = repo.catalog()
                    .segments(first.timeline(), first.segno(), last.segno())
                    .size();
            long need = last.segno() - first.segno() + 1;
            if (have == need) {
                return;
            }
            if (clock.instant().isAfter(deadline)) {
                throw new PitrException(
                        ErrorCode.BACKUP_FAILED,
                        "the WAL this snapshot needs (" + first + ".." + last + ") was not archived within "
                                + walTimeout.toSeconds() + "s",
                        "is 'pitr wal capture' running? The snapshot stays incomplete and is never used for a restore");
            }
            try {
                Thread.sleep(pause);
                pause = Math.min(200, pause * 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PitrException(
                        ErrorCode.INTERRUPTED, "interrupted while waiting for WAL", "run the snapshot again");
            }
        }
    }

    private static int waitFor(Process p) throws IOException {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static CompletableFuture<String> readAsync(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.getMessage();
            }
        });
    }

    private void log(String msg) {
        log.println(msg);
        log.flush();
    }

    /** Counts the bytes read through it for the progress. */
    private static final class Counting extends java.io.FilterInputStream {
        private final Progress progress;
        private long count;

        Counting(InputStream in, Progress progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                progress.at(++count);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                count += n;
                progress.at(count);
            }
            return n;
        }
    }
}
