package dev.pitr.restore;

import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotChain;
import dev.pitr.catalog.SnapshotLineage;
import dev.pitr.catalog.SnapshotParts;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.Sha256;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Processes;
import dev.pitr.postgres.Shell;
import dev.pitr.storage.OwnerOnly;
import dev.pitr.wal.ClusterIdentity;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineHistory;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFetcher;
import dev.pitr.wal.WalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The restore host's steps of the restore state machine, one method per state: prepare the target directory, lay
 * the snapshot down and verify it, write the recovery configuration, replay (start PostgreSQL and wait until it
 * reports where recovery stopped), and verify the server's state. {@link RestoreService} runs them in-process for a
 * local restore; {@code pitr agent} runs them as the activity tasks of a Step Functions execution.
 */
public final class RestoreSteps {

    /** What the restored server reported. */
    public record Replayed(String stopReason, Lsn redoDoneAt, String lastTransaction, TimelineId timeline) {}

    /** The restored server's log; made when the directory is prepared, it also marks the directory as a restore's. */
    static final String RESTORE_LOG = "pitr-restore.log";

    /** The most files a delta restore has pg_verifybackup skip by name; a command line holds about 2 MB. */
    static final int MAX_IGNORED = 10_000;

    /** The settings restore_command reads, in the data directory. */
    public static final String FETCH_CONFIG = "pitr-restore.yaml";

    /** The key files (and catalog copy) restore_command reads, in the data directory until recovery ends. */
    public static final String KEY_DIR = "pitr-keys";

    /** Where segments are prefetched; inside the data directory so that taking one is a rename. */
    static final String PREFETCH_DIR = "pitr-prefetch";

    /**
     * What a restore adds to a data directory. A snapshot of a server that was itself restored holds what its restore
     * left there (pg_basebackup copies every file): none of it is the database's, and none of it is laid down again.
     */
    static final Set<String> RESTORE_ARTIFACTS = Set.of(RESTORE_LOG, FETCH_CONFIG, KEY_DIR, PREFETCH_DIR);

    private final Config config;
    private final Repository repo;
    private final PgTools tools;
    private final Clock clock;
    private final PrintWriter log;
    private java.util.function.LongConsumer laidBytes = n -> {};
    private long laid;

    public RestoreSteps(Config config, Repository repo, PgTools tools, Clock clock, PrintWriter log) {
        this.config = config;
        this.repo = repo;
        this.tools = tools;
        this.clock = clock;
        this.log = log;
    }

    /**
     * Tells {@code bytes} how many plain bytes of the snapshot (and its chain) FetchSnapshot has read so far, at every
     * MiB; the figure starts from 0 at each FetchSnapshot.
     */
    public RestoreSteps showingLaidBytes(java.util.function.LongConsumer bytes) {
        this.laidBytes = bytes;
        return this;
    }

    /** PrepareTarget: refuses a non-empty directory (unless forced), checks the server's user can read what it needs, empties it. */
    public void prepareTarget(RestoreRequest req) {
        prepareTarget(req, () -> {});
    }

    /** PrepareTarget, calling {@code progress} at every thousand files an emptied directory loses. */
    public void prepareTarget(RestoreRequest req, Runnable progress) {
        Path dir = dir(req);
        TargetDirectory.refuseUnsafeName(dir);
        java.util.OptionalInt recorded = ClusterIdentity.recordedMajor(repo.storage());
        boolean onto = req.delta()
                && TargetDirectory.refuseForDelta(
                        dir,
                        ClusterIdentity.recordedSystemIdentifier(repo.storage()).orElse(null),
                        recorded.orElse(0));
        if (!onto) {
            TargetDirectory.refuseNonEmpty(dir, req.force());
        }
        pitrCommand();
        checkRestoreUserCanRead();
        // before hours go into fetching: the repository names its cluster's version, whose programs the restore needs
        if (recorded.isPresent()) {
            tools.forMajor(recorded.getAsInt()).requireRestorePrograms(recorded.getAsInt());
        }
        if (onto) {
            try {
                if (OsUser.isRoot()) {
                    // the server's user may own the directory: once it is root's and owner-only, nothing that user
                    // runs can swap what is under it while a restore running as root works there
                    Files.getFileAttributeView(
                                    dir,
                                    java.nio.file.attribute.PosixFileAttributeView.class,
                                    LinkOption.NOFOLLOW_LINKS)
                            .setOwner(dir.getFileSystem()
                                    .getUserPrincipalLookupService()
                                    .lookupPrincipalByName("root"));
                }
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                if (Files.isSymbolicLink(dir)) {
                    throw new IOException(dir + " became a link");
                }
                // what an earlier restore left: its log says its server was promoted, its prefetch markers and key
                // copies are not this restore's
                for (String artifact : RESTORE_ARTIFACTS) {
                    removeTree(dir.resolve(artifact));
                }
                OwnerOnly.file(dir.resolve(RESTORE_LOG));
            } catch (IOException e) {
                throw new PitrException(
                        ErrorCode.LOCAL_IO, "cannot prepare " + dir + ": " + e.getMessage(), "check permissions", e);
            }
            log("restoring onto the data directory in " + dir + ": files that match the snapshot stay");
        } else {
            prepareDirectory(dir, progress);
        }
    }

    /** FetchSnapshot: lays the snapshot down and checks it against its checksum and PostgreSQL's backup_manifest. */
    public long fetchSnapshot(RestoreRequest req, SnapshotRecord snap) {
        return fetchSnapshot(req, snap, () -> {});
    }

    /** FetchSnapshot, calling {@code progress} at every MiB laid down. */
    public long fetchSnapshot(RestoreRequest req, SnapshotRecord snap, Runnable progress) {
        Path dir = dir(req);
        laid = 0;
        SnapshotChain chain = chainOf(snap);
        boolean isNative = chain.links().stream().anyMatch(l -> l.lineage().kind() == SnapshotLineage.Kind.NATIVE);
        // an ordinary restore is a delta onto an empty directory: every link laid down, nothing in place
        Delta delta = Delta.none(chain.links().size());
        if (req.delta() && Files.exists(dir.resolve("PG_VERSION"), LinkOption.NOFOLLOW_LINKS)) {
            // again: the steps may run far apart (the agent), and a server may have started meanwhile
            TargetDirectory.refuseForDelta(
                    dir,
                    ClusterIdentity.recordedSystemIdentifier(repo.storage()).orElse(null),
                    ClusterIdentity.recordedMajor(repo.storage()).orElse(0));
            if (isNative) {
                log("a chain of PostgreSQL's own incrementals is combined into an empty directory: emptying " + dir);
                try {
                    emptyWithoutFollowingLinks(dir, progress);
                    OwnerOnly.file(dir.resolve(RESTORE_LOG));
                } catch (IOException e) {
                    throw new PitrException(
                            ErrorCode.LOCAL_IO, "cannot empty " + dir + ": " + e.getMessage(), "check permissions", e);
                }
            } else {
                delta = deltaOf(dir, chain, progress);
            }
        }
        long files;
        ManifestCheck check = null;
        if (isNative) {
            files = combine(chain, dir, progress);
        } else {
            log("restoring snapshot " + snap.id()
                    + (chain.length() == 0
                            ? ""
                            : " through its chain of " + chain.links().size()) + " ("
                    + chain.plainSize() + " bytes) into " + dir);
            TarExtractor.Laid top = null;
            // one full snapshot into an empty directory: its files are checked as they are written
            check = chain.length() == 0
                            && delta.manifest() == null
                            && delta.inPlace().isEmpty()
                            && snap.backupManifest() != null
                            && !config.requireBoolean(Key.RESTORE_PG_VERIFYBACKUP)
                    ? manifestCheck(snap)
                    : null;
            for (int j = delta.startLink(); j < chain.links().size(); j++) {
                SnapshotRecord link = chain.links().get(j);
                Set<Path> skip = delta.untouched(j);
                if (chain.length() > 0) {
                    log("laying down " + link.id() + " (" + link.lineage().text() + ", " + link.plainSize() + " bytes)"
                            + (skip.isEmpty() ? "" : " but for the " + skip.size() + " files in place that hold it"));
                }
                top = laySnapshotDown(link, dir, progress, link.lineage().incremental(), skip, check);
            }
            files = top.files();
            // what the newest link does not name: an earlier link's files, or what a delta found in place
            if (chain.length() > 0 || req.delta()) {
                removeAbsent(dir, top.paths(), chain.top());
            }
        }
        int major = dataDirectoryMajor(dir)
                .orElseThrow(() -> new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        "snapshot " + snap.id() + " holds no PG_VERSION",
                        "restore from another snapshot with --snapshot"));
        tools(dir).requireRestorePrograms(major);
        // pg_verifybackup reads every file and says nothing until it ends: it counts as progress while it runs
        Set<Path> checked = delta.inPlace();
        if (check != null) {
            requireAsListed(dir, check, snap);
        } else if (delta.manifest() != null) {
            // a delta has read every file in place already: it checks what it laid itself, not all again
            Delta d = delta;
            whileRunning(progress, () -> verifyLaid(dir, d.manifest(), checked, chain.top()));
        } else {
            whileRunning(progress, () -> verifyAgainstManifest(dir, checked));
        }
        return files;
    }

    /**
     * WriteRecoveryConfig: restore_command, the recovery settings the plan decided ({@link RestorePlan#recoverySettings}),
     * and the data directory handed to PostgreSQL.
     */
    public void writeRecoveryConfig(RestoreRequest req, Map<String, String> settings) {
        Path dir = dir(req);
        new RecoveryConfig(config, repo).write(dir, settings, req.port(), pitrCommand());
        handToPostgres(dir);
    }

    /**
     * Replay: prefetches {@code segments}, starts PostgreSQL and waits until recovery stops (at the target, when the
     * settings name one); {@code heartbeat} runs about every 200 ms while it waits. {@code path} is the plan's way
     * through the timelines, which names the files recovery asks for after the plan's last segment.
     */
    public Replayed replay(
            RestoreRequest req, List<SegmentRecord> segments, WalPath path, boolean wantsTarget, Runnable heartbeat) {
        Path dir = dir(req);
        WalFetcher fetcher = new WalFetcher(repo, serverOwner(dir));
        WalFileName after = segments.isEmpty() ? null : next(segments.get(segments.size() - 1), path);
        // the segment after the plan's last, when the archive holds it: recovery stops inside the last planned segment
        // but reads WAL ahead of what it replays (wal_decode_buffer_size), across the segment's end when what is left
        // of it is short (a segment switched early), and each file it asks for that is not in the spool costs a JVM
        List<SegmentRecord> beyond = after == null
                ? List.of()
                : repo.catalog().segment(after).map(List::of).orElse(List.of());
        Prefetcher prefetcher = new Prefetcher(
                fetcher::fetch,
                segments,
                beyond,
                knownAbsent(beyond.isEmpty() ? after : next(beyond.get(0), path)),
                dir.resolve(PREFETCH_DIR),
                config.requireInt(Key.RESTORE_PREFETCH_PARALLELISM),
                (long) config.requireInt(Key.RESTORE_PREFETCH_MB) << 20);
        prefetcher.start();
        try {
            return startAndWait(req, wantsTarget, dir, heartbeat);
        } catch (RuntimeException e) {
            throw stopped(dir, e);
        } finally {
            prefetcher.close();
            cleanPrefetch(dir.resolve(PREFETCH_DIR));
        }
    }

    /** The file recovery asks for after {@code segment}, on {@code path}'s timeline for the next segment number. */
    private static WalFileName next(SegmentRecord segment, WalPath path) {
        SegmentName name = segment.name();
        return path.segment(name.segno() + 1, name.segmentSize()).walFileName();
    }

    /**
     * Files recovery asks for that the plan knows are not there: {@code after}, the segment after the last one fetched
     * (null: none), when the archive holds neither it nor a part of it shipped while it is written; the history file
     * of timeline 1 (there is none) and of the timeline after the newest archived one (the probe that picks the
     * restored server's new timeline).
     */
    private List<String> knownAbsent(WalFileName after) {
        List<String> absent = new ArrayList<>();
        if (after != null
                && repo.catalog().segment(after).isEmpty()
                && repo.catalog().partial(after).isEmpty()) {
            absent.add(after.text());
        }
        absent.add(TimelineHistory.fileName(TimelineId.of(1)));
        long newest = repo.catalog().histories().stream()
                .mapToLong(h -> h.timeline().value())
                .max()
                .orElse(1);
        absent.add(TimelineHistory.fileName(TimelineId.of(newest + 1)));
        return absent;
    }

    /**
     * Verify: the restored server is in the state the action asks for (promoted and writable, paused in recovery, or
     * shut down), and recovery stopped at a target when the plan set one rather than at the end of the WAL.
     */
    public String verify(RestoreRequest req, boolean wantsTarget, Lsn mustReach, Replayed replayed) {
        Path dir = dir(req);
        try {
            return verified(req, dir, wantsTarget, mustReach, replayed);
        } catch (RuntimeException e) {
            throw stopped(dir, e);
        }
    }

    /**
     * {@code failure}, after stopping the server a failed restore started: a server in the wrong state must not go on
     * taking writes as though it were the restore that was asked for.
     */
    private PitrException stopped(Path dir, RuntimeException thrown) {
        PitrException failure = thrown instanceof PitrException p
                ? p
                : new PitrException(ErrorCode.INTERNAL, thrown.toString(), "this is a bug; please report it", thrown);
        if (!Files.exists(dir.resolve("postmaster.pid"))) {
            return failure;
        }
        Processes.Result r =
                Processes.run(tools(dir).asPostgres("pg_ctl", "-D", dir.toString(), "-m", "fast", "-w", "stop"));
        String what = r.ok()
                ? "; the restored server was stopped"
                : "; stopping the restored server failed too (" + r.output().strip()
                        + "): stop it before anything uses it";
        log("restore failed" + what.substring(1));
        return new PitrException(failure.code(), failure.getMessage() + what, failure.hint(), failure);
    }

    private String verified(RestoreRequest req, Path dir, boolean wantsTarget, Lsn mustReach, Replayed replayed) {
        if (wantsTarget && replayed.stopReason() == null) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED,
                    "recovery ended without reaching its target",
                    "see " + dir.resolve(RESTORE_LOG));
        }
        if (mustReach != null
                && (replayed.redoDoneAt() == null || replayed.redoDoneAt().isBefore(mustReach))) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED,
                    "recovery ended at " + replayed.redoDoneAt() + ", before the end of the planned WAL (" + mustReach
                            + ")",
                    "a planned segment could not be fetched; see " + dir.resolve(RESTORE_LOG));
        }
        RestoreRequest.Action action = wantsTarget ? req.action() : RestoreRequest.Action.PROMOTE;
        if (action == RestoreRequest.Action.SHUTDOWN) {
            if (Files.exists(dir.resolve("postmaster.pid"))) {
                throw new PitrException(
                        ErrorCode.RESTORE_FAILED,
                        "the restored server is still running after shutting down at the target",
                        "see " + dir.resolve(RESTORE_LOG));
            }
            String down = clusterState(dir);
            if (!down.equals(dev.pitr.postgres.ControlFile.State.SHUT_DOWN_IN_RECOVERY.text())) {
                throw new PitrException(
                        ErrorCode.RESTORE_FAILED,
                        "the restored server is " + down + ", not shut down in recovery at the target",
                        "see " + dir.resolve(RESTORE_LOG));
            }
            return "shut down at the target";
        }
        // the control file says what the server last recorded: it must also be running now
        if (!Processes.run(tools(dir).asPostgres("pg_ctl", "status", "-D", dir.toString()))
                .ok()) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED, "the restored server is not running", "see " + dir.resolve(RESTORE_LOG));
        }
        // what the server itself recorded, read without a login: the restore never depends on the copied pg_hba.conf
        String cluster = clusterState(dir);
        String state = switch (cluster) {
            case "in production" -> "promoted";
            case "in archive recovery" -> "paused";
            default -> cluster;
        };
        String want = action == RestoreRequest.Action.PROMOTE ? "promoted" : "paused";
        if (!want.equals(state)) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED,
                    "the restored server is " + state + ", not " + want,
                    "see " + dir.resolve(RESTORE_LOG));
        }
        if (action == RestoreRequest.Action.PROMOTE) {
            removeRestoreCommandSecrets(dir);
        } else {
            log(
                    "recovery has not ended: " + dir.resolve(FETCH_CONFIG) + " and " + dir.resolve(KEY_DIR)
                            + " stay for"
                            + " restore_command; remove them once the server is promoted (a superuser can read them with pg_read_file)");
        }
        return state;
    }

    /**
     * Once recovery has ended, restore_command is never run again, and what it read (the archive's keys, the storage
     * credentials, a copy of the catalog) must not stay where the restored server's superusers can read it with
     * {@code pg_read_file}.
     */
    private void removeRestoreCommandSecrets(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve(FETCH_CONFIG));
            Path keys = dir.resolve(KEY_DIR);
            if (Files.isDirectory(keys, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> s = Files.walk(keys)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot remove the keys restore_command read from " + dir + ": " + e.getMessage(),
                    "remove " + dir.resolve(KEY_DIR) + " and " + dir.resolve(FETCH_CONFIG) + " by hand",
                    e);
        }
    }

    /** The state the data directory's control file records ({@code in production}, say), as pg_controldata says it. */
    private static String clusterState(Path dir) {
        try {
            return dev.pitr.postgres.ControlFile.read(dir).state().text();
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED,
                    "cannot read the restored server's state from its control file: " + e.getMessage(),
                    "see " + dir.resolve(RESTORE_LOG));
        }
    }

    private static Path dir(RestoreRequest req) {
        return req.targetDir().toAbsolutePath().normalize();
    }

    private static UserPrincipal serverOwner(Path dir) {
        try {
            return Files.getOwner(dir);
        } catch (IOException e) {
            throw new PitrException(ErrorCode.LOCAL_IO, "cannot read the owner of " + dir, "check permissions", e);
        }
    }

    private static void cleanPrefetch(Path spool) {
        try {
            if (Files.isDirectory(spool)) {
                try (Stream<Path> s = Files.walk(spool)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            // leftover prefetched files are harmless; they are never read again
        }
    }

    private String pitrCommand() {
        return config.get(Key.RESTORE_PITR_COMMAND)
                .orElseGet(() -> runningJar()
                        .map(RestoreSteps::pitrCommand)
                        .orElseThrow(() -> new PitrException(
                                ErrorCode.CONFIG_MISSING,
                                "cannot tell how the restored server should run pitr for its restore_command",
                                "set restore.pitr_command, e.g. 'java -jar /opt/pitr/pitr.jar'")));
    }

    /** The command line that runs {@code jar} with a JVM tuned for short runs, as restore_command does per file. */
    public static String pitrCommand(Path jar) {
        return Shell.quote(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString())
                + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -jar " + Shell.quote(jar.toString());
    }

    /** The pitr.jar this process runs from, if it runs from one. */
    public static Optional<Path> runningJar() {
        try {
            Path p = Path.of(RestoreSteps.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            return p.toString().endsWith(".jar") ? Optional.of(p) : Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /** The server runs restore_command as its own OS user, which must be able to read the archive. */
    private void checkRestoreUserCanRead() {
        if (!OsUser.isRoot()) {
            return;
        }
        List<String> cmd = new ArrayList<>(
                List.of("sh", "-c", "for f in \"$@\"; do test -r \"$f\" || { echo \"$f\"; exit 1; }; done", "sh"));
        if (config.get(Key.RESTORE_PITR_COMMAND).isEmpty()) {
            runningJar().ifPresent(j -> cmd.add(j.toString()));
        }
        repo.storage().localRoot().ifPresent(root -> cmd.add(root.toString()));
        Processes.Result r = Processes.run(OsUser.as(tools.osUser(), cmd));
        if (!r.ok()) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED,
                    "the '" + tools.osUser() + "' OS user cannot read "
                            + r.output().strip() + ", which restore_command needs",
                    "make the path readable (and its directories searchable) by " + tools.osUser());
        }
    }

    private void prepareDirectory(Path dir, Runnable progress) {
        try {
            if (Files.exists(dir)) {
                emptyWithoutFollowingLinks(dir, progress);
            } else {
                Files.createDirectories(dir);
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            OwnerOnly.file(dir.resolve(RESTORE_LOG));
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO, "cannot prepare " + dir + ": " + e.getMessage(), "check permissions", e);
        }
    }

    /**
     * Lays a chain of PostgreSQL's own incremental backups down beside {@code dir}, each link in a directory of its
     * own, and has {@code pg_combinebackup} rebuild the data directory from them into {@code dir}; the links are removed
     * afterwards, whether it worked or not.
     */
    private long combine(SnapshotChain chain, Path dir, Runnable progress) {
        Path staging;
        try {
            // a new directory of this process's own every time (owner-only), never one found in place
            staging = Files.createTempDirectory(
                    dir.getParent(),
                    "." + dir.getFileName() + ".pitr-chain-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot make a directory for the chain's backups beside " + dir + ": " + e.getMessage(),
                    "the directory above the target must be writable; it needs room for the whole chain",
                    e);
        }
        log("restoring snapshot " + chain.top().id() + " through its chain of "
                + chain.links().size() + " (" + chain.plainSize() + " bytes), combined by pg_combinebackup from "
                + staging);
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(null);
            cmd.addAll(List.of("--no-sync", "-o", dir.toString()));
            int i = 0;
            for (SnapshotRecord link : chain.links()) {
                if (link.lineage().kind() == SnapshotLineage.Kind.BLOCK) {
                    throw new PitrException(
                            ErrorCode.CORRUPT_OBJECT,
                            "the chain of " + chain.top().id() + " mixes block-level and PostgreSQL incrementals",
                            "restore from another snapshot with --snapshot");
                }
                Path linkDir = staging.resolve(i++ + "-" + link.id());
                log("laying down " + link.id() + " (" + link.lineage().text() + ", " + link.plainSize() + " bytes)");
                laySnapshotDown(link, linkDir, progress, false);
                cmd.add(linkDir.toString());
            }
            int major = dataDirectoryMajor(staging.resolve("0-" + chain.full().id()))
                    .orElseThrow(() -> new PitrException(
                            ErrorCode.CORRUPT_OBJECT,
                            "snapshot " + chain.full().id() + " holds no PG_VERSION",
                            "restore from another snapshot with --snapshot"));
            PgTools forChain = tools.forMajor(major);
            forChain.requireCombine(major);
            cmd.set(0, forChain.path("pg_combinebackup"));
            Files.deleteIfExists(dir.resolve(RESTORE_LOG));
            Processes.Result r = Processes.run(cmd);
            OwnerOnly.file(dir.resolve(RESTORE_LOG));
            if (!r.ok()) {
                throw new PitrException(
                        ErrorCode.RESTORE_FAILED,
                        "pg_combinebackup could not rebuild the data directory from the chain of "
                                + chain.top().id() + ": " + r.output().strip(),
                        "restore from another snapshot with --snapshot");
            }
            try (Stream<Path> s = Files.walk(dir)) {
                return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                        .count();
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot combine the chain of " + chain.top().id() + ": " + e.getMessage(),
                    "free space in " + staging.getParent() + " and run the restore again with --force",
                    e);
        } finally {
            try {
                removeTree(staging);
            } catch (IOException e) {
                log("could not remove " + staging + ": " + e.getMessage() + "; remove it by hand");
            }
        }
    }

    /**
     * What a delta restore lays down: for each file of the newest link, the first link that must write it ({@code from};
     * one past the newest for a file already in place). A file in place as an earlier link's copy gets what the links
     * after it changed; a file not in place comes from the newest link that stores it whole. {@code startLink} is the
     * first link read at all.
     */
    private record Delta(Map<Path, Integer> from, int startLink, int links, dev.pitr.backup.ManifestFiles manifest) {
        /** The files link {@code j} must not touch: those in place as it or a later link has them. */
        Set<Path> untouched(int j) {
            Set<Path> s = new java.util.HashSet<>();
            from.forEach((p, i) -> {
                if (i > j) {
                    s.add(p);
                }
            });
            return s;
        }

        /** The files found exactly as the newest link has them. */
        Set<Path> inPlace() {
            return untouched(links - 1);
        }

        /** Nothing in place: every link of a chain of {@code links} laid down whole. */
        static Delta none(int links) {
            return new Delta(Map.of(), 0, links, null);
        }
    }

    /**
     * A delta restore's first step: reads every link's backup_manifest from storage (each checked), finds for each file
     * in {@code dir} the newest link whose size and checksum it has, and removes every file and link that is none of
     * the chain's (or whose entry in the newest manifest is gone), so that the chain lays down only what differs.
     */
    private Delta deltaOf(Path dir, SnapshotChain chain, Runnable progress) {
        Path root = dir.toAbsolutePath().normalize();
        List<SnapshotRecord> links = chain.links();
        int top = links.size() - 1;
        List<dev.pitr.backup.ManifestFiles> manifests =
                links.stream().map(this::manifestOf).toList();
        List<Path> candidates = new ArrayList<>();
        List<Path> drop = new ArrayList<>();
        List<Path> dropTrees = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                if (p.equals(root)
                        || RESTORE_ARTIFACTS.contains(
                                root.relativize(p).getName(0).toString())) {
                    continue;
                }
                boolean listed = manifests
                        .get(top)
                        .entries()
                        .containsKey(root.relativize(p).toString());
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (listed) {
                        // a directory where the snapshot has a file
                        dropTrees.add(p);
                    }
                    continue;
                }
                // a file with another name elsewhere is never written in place: that name would change too
                boolean single = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                        && ((Number) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue() == 1;
                (listed && single ? candidates : drop).add(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO, "cannot read " + dir + ": " + e.getMessage(), "check permissions", e);
        }
        candidates.removeIf(c -> dropTrees.stream().anyMatch(c::startsWith));
        // the largest first, so that no thread is left reading a large file alone at the end
        candidates.sort(
                Comparator.comparingLong((Path p) -> p.toFile().length()).reversed());
        Map<Path, Integer> base = new java.util.HashMap<>();
        List<Integer> held =
                onEveryCore(dir, candidates, p -> newestHeld(root.relativize(p).toString(), p, manifests), progress);
        for (int i = 0; i < candidates.size(); i++) {
            if (held.get(i) >= 0) {
                base.put(candidates.get(i), held.get(i));
            } else {
                drop.add(candidates.get(i));
            }
        }
        try {
            for (Path p : dropTrees) {
                removeTree(p);
            }
            for (Path p : drop) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO, "cannot remove from " + dir + ": " + e.getMessage(), "check permissions", e);
        }
        // each file is written from the link after its copy in place, or from the newest link storing it whole
        Map<Path, Integer> from = new java.util.HashMap<>();
        int start = top;
        for (var e : manifests.get(top).entries().entrySet()) {
            String rel = e.getKey();
            Integer b = base.get(root.resolve(rel));
            int whole = 0;
            for (int j = top; j > 0; j--) {
                dev.pitr.backup.ManifestFiles.Entry at =
                        manifests.get(j).entries().get(rel);
                if (at == null) {
                    break;
                }
                if (!dev.pitr.backup.ChangedBlocks.storedAsBlocks(
                        rel, at.size(), manifests.get(j - 1).entries().containsKey(rel))) {
                    whole = j;
                    break;
                }
            }
            int f = b == null ? whole : b == top ? top + 1 : Math.max(b + 1, whole);
            from.put(root.resolve(rel), f);
            start = Math.min(start, f);
        }
        int first = start;
        String why = from.entrySet().stream()
                .filter(e -> e.getValue() == first)
                .map(e -> root.relativize(e.getKey()).toString())
                .sorted()
                .limit(3)
                .collect(java.util.stream.Collectors.joining(", "));
        long kept = base.values().stream().filter(b -> b == top).count();
        log("kept " + kept + " files that match snapshot " + chain.top().id() + "; " + (base.size() - kept)
                + " match an earlier link and get only what changed since; " + drop.size()
                + " others removed; laying down from " + links.get(start).id()
                + (start < top ? " (for " + why + ")" : ""));
        return new Delta(from, start, links.size(), manifests.get(top));
    }

    /** Reads a local file for {@link #onEveryCore}. */
    @FunctionalInterface
    private interface FileTask<T, R> {
        R apply(T item) throws IOException;
    }

    /**
     * {@code task} of each of {@code items} on a thread per core, the results in the items' order, calling {@code
     * progress} every hundred. A file that cannot be read fails it all as {@code local-io}.
     */
    private static <T, R> List<R> onEveryCore(Path dir, List<T> items, FileTask<T, R> task, Runnable progress) {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            List<java.util.concurrent.Future<R>> running = new ArrayList<>();
            for (T item : items) {
                running.add(pool.submit(() -> task.apply(item)));
            }
            List<R> results = new ArrayList<>();
            for (int i = 0; i < running.size(); i++) {
                results.add(running.get(i).get());
                if (i % 100 == 0) {
                    progress.run();
                }
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PitrException(
                    ErrorCode.INTERRUPTED, "interrupted while checking " + dir, "run the restore again");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot read the files in " + dir + ": " + e.getCause().getMessage(),
                    "check permissions",
                    e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** The newest link whose manifest gives {@code file} its size and checksum; -1 when none does. */
    private static int newestHeld(String rel, Path file, List<dev.pitr.backup.ManifestFiles> manifests)
            throws IOException {
        long size = Files.size(file);
        Map<String, String> sums = new java.util.HashMap<>();
        for (int i = manifests.size() - 1; i >= 0; i--) {
            dev.pitr.backup.ManifestFiles.Entry e = manifests.get(i).entries().get(rel);
            if (e == null || e.size() != size || e.algorithm().equals("NONE")) {
                continue;
            }
            String sum = sums.get(e.algorithm());
            if (sum == null) {
                sum = dev.pitr.backup.ManifestFiles.checksum(file, e.algorithm());
                sums.put(e.algorithm(), sum);
            }
            if (sum.equalsIgnoreCase(e.checksum())) {
                return i;
            }
        }
        return -1;
    }

    /** {@code s}'s stored backup_manifest, checked against its checksum. */
    private dev.pitr.backup.ManifestFiles manifestOf(SnapshotRecord s) {
        if (s.backupManifest() == null) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    "snapshot " + s.id() + " was taken before its backup_manifest was stored: a delta restore cannot"
                            + " tell which files match it",
                    "restore into an empty directory, or with --force");
        }
        return storedManifest(s, dev.pitr.backup.ManifestFiles::parse);
    }

    /** How a stored backup_manifest is taken: read as it is, or parsed. */
    private interface ManifestReader<T> {
        T read(byte[] text) throws IOException;
    }

    /**
     * {@code s}'s stored backup_manifest, checked against the catalog, as {@code reader} takes it; one that cannot be
     * read or taken is {@code corrupt-object}.
     */
    private <T> T storedManifest(SnapshotRecord s, ManifestReader<T> reader) {
        try {
            return reader.read(s.backupManifest().read(repo.codec(), repo.storage(), s.keyId() != null));
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    "cannot read the backup_manifest of snapshot " + s.id() + ": " + e.getMessage(),
                    "restore from another snapshot with --snapshot",
                    e);
        }
    }

    /**
     * The chain {@code snap} is restored through, read from the catalog: the planner chose {@code snap} from a whole
     * chain, and a link that has changed since (expired, say) stops the restore before anything is laid down.
     */
    private SnapshotChain chainOf(SnapshotRecord snap) {
        SnapshotChain.Resolved r =
                SnapshotChain.resolve(snap, id -> repo.catalog().snapshot(id));
        return r.chain()
                .orElseThrow(() -> new PitrException(
                        ErrorCode.SNAPSHOT_NOT_FOUND,
                        r.broken().orElseThrow().reason(),
                        "restore from another snapshot with --snapshot ('pitr restore-window' lists them)"));
    }

    /**
     * Removes what the chain's earlier links laid down that the newest one does not name (the files of a table dropped
     * since, say), but what a restore itself adds: the newest tar names every file and directory of the data directory.
     */
    private void removeAbsent(Path dir, java.util.Set<Path> named, SnapshotRecord top) {
        Path root = dir.toAbsolutePath().normalize();
        java.util.Set<Path> keep = new java.util.HashSet<>();
        for (Path n : named) {
            for (Path p = n; p != null && p.startsWith(root) && keep.add(p); p = p.getParent()) {
                // a named file keeps every directory above it
            }
        }
        long removed = 0;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                if (p.equals(root)
                        || RESTORE_ARTIFACTS.contains(
                                root.relativize(p).getName(0).toString())) {
                    continue;
                }
                if (!keep.contains(p)) {
                    Files.delete(p);
                    removed++;
                }
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot remove what snapshot " + top.id() + " no longer holds from " + dir + ": " + e.getMessage(),
                    "check permissions and run the restore again with --force",
                    e);
        }
        if (removed > 0) {
            log("removed " + removed + " files and directories snapshot " + top.id() + " no longer holds");
        }
    }

    private TarExtractor.Laid laySnapshotDown(SnapshotRecord snap, Path dir, Runnable progress, boolean onto) {
        return laySnapshotDown(snap, dir, progress, onto, Set.of(), null);
    }

    /**
     * A check of {@code snap}'s files against its stored backup_manifest as they are written; null, for pg_verifybackup
     * to check them after, when that manifest cannot be read or lists what the check cannot stand in for.
     */
    private ManifestCheck manifestCheck(SnapshotRecord snap) {
        try {
            dev.pitr.backup.ManifestFiles m = manifestOf(snap);
            if (ManifestCheck.covers(m)) {
                return new ManifestCheck(m, RESTORE_ARTIFACTS);
            }
            log("snapshot " + snap.id() + "'s backup_manifest lists what only pg_verifybackup checks: it checks the"
                    + " files once they are laid down");
        } catch (PitrException e) {
            log("cannot read snapshot " + snap.id() + "'s stored backup_manifest (" + e.getMessage()
                    + "): pg_verifybackup checks the files once they are laid down");
        }
        return null;
    }

    /**
     * What {@link ManifestCheck} found while the snapshot was written: every file as {@code snap}'s backup_manifest
     * lists it, and the backup_manifest laid down the stored one. Stands in for pg_verifybackup's second read.
     */
    private void requireAsListed(Path dir, ManifestCheck check, SnapshotRecord snap) {
        List<String> wrong = new ArrayList<>();
        try {
            wrong.addAll(check.problems(dir.toAbsolutePath().normalize()));
        } catch (IOException e) {
            wrong.add("cannot list " + dir + ": " + e.getMessage());
        }
        boolean laid = Files.exists(dir.resolve("backup_manifest"), LinkOption.NOFOLLOW_LINKS);
        requireNoneWrong(wrong, dir, snap, laid);
        log("checked every file against backup_manifest as it was written");
    }

    /**
     * Throws {@code corrupt-object} naming the first of {@code wrong} when there is any, or when {@code
     * checkLaidManifest} and the backup_manifest laid down in {@code dir} is not {@code snap}'s stored one.
     */
    private static void requireNoneWrong(List<String> wrong, Path dir, SnapshotRecord snap, boolean checkLaidManifest) {
        if (checkLaidManifest) {
            try {
                if (!Sha256.of(Files.readAllBytes(dir.resolve("backup_manifest")))
                        .equals(snap.backupManifest().sha256())) {
                    wrong.add(0, "backup_manifest is not snapshot " + snap.id() + "'s");
                }
            } catch (IOException e) {
                wrong.add(0, "backup_manifest: " + e.getMessage());
            }
        }
        if (!wrong.isEmpty()) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    "the restored files do not match backup_manifest: "
                            + String.join("; ", wrong.subList(0, Math.min(5, wrong.size())))
                            + (wrong.size() > 5 ? "; and " + (wrong.size() - 5) + " more" : ""),
                    "restore from another snapshot with --snapshot");
        }
    }

    /**
     * Lays {@code snap}'s tar down in {@code dir} ({@code onto} the files its parent's chain left, for an incremental),
     * but for the files {@code kept}. A snapshot stored in parts ({@link SnapshotParts}) has its index checked against
     * the record and each part against the index; a part whose files are all {@code kept} and whose directories are all
     * there is passed over unread.
     */
    private TarExtractor.Laid laySnapshotDown(
            SnapshotRecord snap, Path dir, Runnable progress, boolean onto, Set<Path> kept, ManifestCheck check) {
        if (!SnapshotParts.isIndex(snap.storageKey())) {
            TarExtractor.Laid laid = layObject(
                    "snapshot " + snap.id(), snap.storageKey(), snap.sha256(), snap, dir, progress, onto, kept, check);
            if (SnapshotParts.isServerCompressed(snap.storageKey())) {
                Set<Path> named = new java.util.HashSet<>(laid.paths());
                named.add(layManifest(snap, dir));
                laid = new TarExtractor.Laid(laid.files(), named);
            }
            log("laid down " + laid.files() + " files");
            return laid;
        }
        SnapshotParts parts;
        try {
            parts = SnapshotParts.read(repo.codec(), repo.storage(), snap);
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    "cannot read the index of snapshot " + snap.id() + "'s parts: " + e.getMessage(),
                    "restore from another snapshot with --snapshot",
                    e);
        }
        long files = 0;
        int passed = 0;
        Set<Path> paths = new java.util.HashSet<>();
        List<SnapshotParts.Part> all = parts.parts();
        for (int i = 0; i < all.size(); i++) {
            SnapshotParts.Part part = all.get(i);
            Map<Path, Boolean> named;
            try {
                named = TarExtractor.named(part.entries(), dir, RESTORE_ARTIFACTS, onto);
            } catch (IOException e) {
                throw new PitrException(
                        ErrorCode.CORRUPT_OBJECT,
                        "part " + (i + 1) + " of snapshot " + snap.id() + ": " + e.getMessage(),
                        "restore from another snapshot with --snapshot",
                        e);
            }
            TarExtractor.Laid laid = TarExtractor.inPlace(named, kept).orElse(null);
            if (laid != null) {
                passed++;
            } else {
                String what = "part " + (i + 1) + " of " + all.size() + " of snapshot " + snap.id();
                laid = layObject(what, part.storageKey(), part.checksum(), snap, dir, progress, onto, kept, check);
                if (!laid.paths().equals(named.keySet())) {
                    throw new PitrException(
                            ErrorCode.CORRUPT_OBJECT,
                            what + ": its tar does not hold the entries its index names",
                            "restore from another snapshot with --snapshot");
                }
            }
            files += laid.files();
            for (Path p : laid.paths()) {
                if (!paths.add(p) && onto) {
                    throw new PitrException(
                            ErrorCode.CORRUPT_OBJECT,
                            "snapshot " + snap.id() + " names " + p + " in two of its parts",
                            "restore from another snapshot with --snapshot");
                }
            }
        }
        log("laid down " + files + " files"
                + (passed == 0 ? "" : "; " + passed + " of " + all.size() + " parts held only files in place"));
        return new TarExtractor.Laid(files, paths);
    }

    /**
     * Writes {@code snap}'s stored {@code backup_manifest}, checked against the catalog, into {@code dir}: the server
     * compressed the snapshot's tar, which holds none, and what checks a restore (pg_verifybackup, a delta's check of what
     * it laid) reads it there, as from any other snapshot. Returns where, among what the snapshot names.
     */
    private Path layManifest(SnapshotRecord snap, Path dir) {
        Path at = dir.toAbsolutePath().normalize().resolve("backup_manifest");
        byte[] text = storedManifest(snap, t -> t);
        try {
            Files.write(at, text);
            Files.setPosixFilePermissions(at, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot write " + at + ": " + e.getMessage(),
                    "free space in " + dir + " and run the restore again with --force",
                    e);
        }
        return at;
    }

    /** Lays one tar object down, checked against {@code checksum} ({@link Checksum}) once read to its end. */
    private TarExtractor.Laid layObject(
            String what,
            String key,
            String checksum,
            SnapshotRecord snap,
            Path dir,
            Runnable progress,
            boolean onto,
            Set<Path> kept,
            ManifestCheck check) {
        // a part's index is checked when it is read; a snapshot of one object has its checksum in the catalog
        Checksum sum = Checksum.recordedFor(what, checksum);
        TarExtractor.Laid laid;
        try (InputStream plain =
                counting(sum.wrap(repo.codec().open(repo.storage(), key, snap.keyId() != null)), progress)) {
            laid = onto
                    ? TarExtractor.overlay(plain, dir, RESTORE_ARTIFACTS, kept)
                    : TarExtractor.extract(plain, dir, RESTORE_ARTIFACTS, kept, check);
        } catch (TarExtractor.LocalWriteException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot lay snapshot " + snap.id() + " down: " + e.getMessage(),
                    "free space in " + dir + " (it needs " + snap.plainSize()
                            + " bytes) and run the restore again with --force",
                    e);
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    "cannot decode " + what + ": " + e.getMessage(),
                    "restore from another snapshot with --snapshot",
                    e);
        }
        if (!sum.value().equals(checksum)) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    what + " failed verification (checksum " + sum.value() + ", expected " + checksum + ")",
                    "restore from another snapshot with --snapshot");
        }
        return laid;
    }

    /**
     * A delta restore's check, in place of pg_verifybackup: every file {@code manifest} (the newest link's, read from
     * storage and checked) lists but those found {@code inPlace} with its size and checksum, is read again and must have
     * them too, and the {@code backup_manifest} laid down must be the stored one. Files the manifest does not list were
     * removed on the way.
     */
    private void verifyLaid(Path dir, dev.pitr.backup.ManifestFiles manifest, Set<Path> inPlace, SnapshotRecord top) {
        Path root = dir.toAbsolutePath().normalize();
        List<dev.pitr.backup.ManifestFiles.Entry> laid = new ArrayList<>();
        for (dev.pitr.backup.ManifestFiles.Entry e : manifest.entries().values()) {
            if (!inPlace.contains(root.resolve(e.path()))) {
                laid.add(e);
            }
        }
        laid.sort(Comparator.comparingLong(dev.pitr.backup.ManifestFiles.Entry::size)
                .reversed());
        List<String> wrong = new ArrayList<>();
        for (String problem : onEveryCore(
                dir,
                laid,
                e -> {
                    Path f = root.resolve(e.path());
                    if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                        return e.path() + " is missing";
                    } else if (Files.size(f) != e.size()) {
                        return e.path() + " has " + Files.size(f) + " bytes, not " + e.size();
                    } else if (!e.algorithm().equals("NONE")
                            && !dev.pitr.backup.ManifestFiles.checksum(f, e.algorithm())
                                    .equalsIgnoreCase(e.checksum())) {
                        return e.path() + " does not match its " + e.algorithm() + " checksum";
                    }
                    return null;
                },
                () -> {})) {
            if (problem != null) {
                wrong.add(problem);
            }
        }
        requireNoneWrong(wrong, root, top, true);
        log("checked the " + laid.size() + " files laid down against backup_manifest");
    }

    void verifyAgainstManifest(Path dir) {
        verifyAgainstManifest(dir, Set.of());
    }

    /**
     * Checks the data directory against its backup_manifest with pg_verifybackup, but for {@code checked}: files a delta
     * restore found in place with the manifest's very size and checksum.
     */
    void verifyAgainstManifest(Path dir, Set<Path> checked) {
        if (!Files.exists(dir.resolve("backup_manifest"))) {
            log("no backup_manifest in " + dir + " (a snapshot taken before pitr stored one): pg_verifybackup not run");
            return;
        }
        List<String> cmd = new ArrayList<>(List.of(tools(dir).path("pg_verifybackup"), "--no-parse-wal", "--quiet"));
        RESTORE_ARTIFACTS.forEach(name -> cmd.add("--ignore=" + name));
        Path root = dir.toAbsolutePath().normalize();
        // within what a command line holds; past that, everything is checked again
        if (checked.size() <= MAX_IGNORED) {
            checked.forEach(p -> cmd.add("--ignore=" + root.relativize(p)));
        }
        cmd.add(dir.toString());
        Processes.Result r = Processes.run(cmd);
        if (!r.ok()) {
            throw new PitrException(
                    ErrorCode.CORRUPT_OBJECT,
                    "the restored files do not match backup_manifest: "
                            + r.output().strip(),
                    "restore from another snapshot with --snapshot");
        }
        log("pg_verifybackup checked the files against backup_manifest");
    }

    /** The major version a data directory's {@code PG_VERSION} names; empty before a snapshot is laid down there. */
    public static java.util.OptionalInt dataDirectoryMajor(Path dir) {
        try {
            String v = Files.readString(dir.resolve("PG_VERSION")).strip();
            return v.matches("\\d{1,3}")
                    ? java.util.OptionalInt.of(Integer.parseInt(v))
                    : java.util.OptionalInt.empty();
        } catch (java.nio.file.NoSuchFileException e) {
            return java.util.OptionalInt.empty();
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot read " + dir.resolve("PG_VERSION") + ": " + e.getMessage(),
                    "check " + dir);
        }
    }

    /** The programs that serve the data directory {@code dir}'s version (the configured ones where it names none). */
    private PgTools tools(Path dir) {
        java.util.OptionalInt major = dataDirectoryMajor(dir);
        return major.isPresent() ? tools.forMajor(major.getAsInt()) : tools;
    }

    /** True when recovery settings make PostgreSQL stop at a target rather than at the end of the WAL. */
    public static boolean wantsTarget(Map<String, String> settings) {
        return settings.keySet().stream()
                .anyMatch(k -> k.startsWith("recovery_target") && !k.equals("recovery_target_timeline"));
    }

    private void handToPostgres(Path dir) {
        if (!OsUser.isRoot()) {
            return;
        }
        Processes.Result r = Processes.run(List.of("chown", "-R", tools.osUser() + ":", dir.toString()));
        if (!r.ok()) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot chown " + dir + ": " + r.output().strip(),
                    "check that the '" + tools.osUser() + "' user exists");
        }
    }

    private Replayed startAndWait(RestoreRequest req, boolean wantsTarget, Path dir, Runnable heartbeat) {
        Path logFile = dir.resolve(RESTORE_LOG);
        // the log is how the restore follows recovery without a login: in English, into this file, with each line's
        // process type (a client's failed login is not recovery's), whatever the snapshot's settings say; and on 15
        // and later, the replayed position every second
        String logging = "-c lc_messages=C -c logging_collector=off -c log_destination=stderr"
                + " -c log_min_messages=warning -c log_line_prefix='%m [%p] %b '"
                + (dataDirectoryMajor(dir).orElse(0) >= 15 ? " -c log_startup_progress_interval=1s" : "");
        List<String> start =
                new ArrayList<>(List.of("-D", dir.toString(), "-l", logFile.toString(), "-W", "-o", logging, "start"));
        // what an earlier start of the server (a retried step) wrote is not this one's
        long logFrom = RecoveryLog.sizeOf(logFile);
        Processes.Result r = Processes.run(tools(dir).asPostgres("pg_ctl", start.toArray(String[]::new)));
        if (!r.ok()) {
            throw new PitrException(
                    ErrorCode.RESTORE_FAILED,
                    "pg_ctl start failed: " + r.output().strip(),
                    "see " + logFile);
        }
        log("PostgreSQL started on port " + req.port() + "; replaying WAL (log: " + logFile + ")");
        RecoveryLog rl = new RecoveryLog(logFile, logFrom);
        RestoreRequest.Action action = wantsTarget ? req.action() : RestoreRequest.Action.PROMOTE;
        Instant lastProgress = clock.instant();
        long lastLines = 0;
        while (true) {
            long lines = rl.refresh();
            if (lines != lastLines) {
                lastLines = lines;
                lastProgress = clock.instant();
            }
            String failure = rl.failure();
            if (failure != null && !(action == RestoreRequest.Action.SHUTDOWN && rl.shutDownAtTarget())) {
                stopQuietly(dir);
                throw new PitrException(
                        ErrorCode.RESTORE_FAILED,
                        "recovery failed: " + failure + "\n" + rl.tail(15),
                        "the server log is " + logFile + "; the target directory is left as it is for inspection");
            }
            boolean done = switch (action) {
                case PROMOTE -> rl.promoted();
                case PAUSE -> rl.paused();
                case SHUTDOWN -> rl.shutDownAtTarget() && !Files.exists(dir.resolve("postmaster.pid"));
            };
            if (done) {
                return new Replayed(rl.stopReason(), rl.redoDoneAt(), rl.lastTransactionTime(), rl.newTimeline());
            }
            if (!Files.exists(dir.resolve("postmaster.pid"))
                    && Duration.between(lastProgress, clock.instant()).toSeconds() > 10) {
                throw new PitrException(
                        ErrorCode.RESTORE_FAILED,
                        "the restored server stopped before reaching the target\n" + rl.tail(15),
                        "see " + logFile);
            }
            try {
                heartbeat.run();
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PitrException(
                        ErrorCode.INTERRUPTED, "interrupted while waiting for recovery", "see " + logFile);
            }
        }
    }

    /** Calls {@code progress} at every MiB read from {@code in}, and tells {@link #laidBytes} the bytes read so far. */
    private InputStream counting(InputStream in, Runnable progress) {
        return new java.io.FilterInputStream(in) {
            private long sinceProgress;

            @Override
            public int read() throws IOException {
                int b = super.read();
                count(b < 0 ? 0 : 1);
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                int n = super.read(buf, off, len);
                count(Math.max(n, 0));
                return n;
            }

            private void count(int n) {
                sinceProgress += n;
                if (sinceProgress >= 1 << 20) {
                    laid += sinceProgress;
                    sinceProgress = 0;
                    laidBytes.accept(laid);
                    progress.run();
                }
            }
        };
    }

    /**
     * Removes the directory {@code tree} and everything in it, opened from its parent and never through a symbolic
     * link: a link put in its place is removed as a link.
     */
    public static void removeTree(Path tree) throws IOException {
        Path parent = tree.toAbsolutePath().getParent();
        Path name = tree.getFileName();
        try (java.nio.file.DirectoryStream<Path> top = Files.newDirectoryStream(parent)) {
            if (!(top instanceof java.nio.file.SecureDirectoryStream<Path> secure)) {
                throw new IOException("this platform cannot delete without following links");
            }
            java.nio.file.attribute.BasicFileAttributes a = secure.getFileAttributeView(
                            name, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
            if (!a.isDirectory()) {
                secure.deleteFile(name);
                return;
            }
            try (java.nio.file.SecureDirectoryStream<Path> sub =
                    secure.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                emptySecurely(sub, () -> {}, new long[] {0});
            }
            secure.deleteDirectory(name);
        } catch (java.nio.file.NoSuchFileException gone) {
            // nothing to remove
        }
    }

    /**
     * Deletes everything in {@code dir}, relative to open directories and never through a symbolic link: a link is
     * deleted as a link, and a directory swapped for a link while this runs is refused, not followed, so nothing outside
     * {@code dir} is touched however its contents change meanwhile. Calls {@code progress} at every thousand deletions.
     */
    static void emptyWithoutFollowingLinks(Path dir, Runnable progress) throws IOException {
        try (java.nio.file.DirectoryStream<Path> top = Files.newDirectoryStream(dir)) {
            if (!(top instanceof java.nio.file.SecureDirectoryStream<Path> secure)) {
                throw new IOException("this platform cannot delete without following links");
            }
            long[] deleted = {0};
            emptySecurely(secure, progress, deleted);
        }
    }

    private static void emptySecurely(java.nio.file.SecureDirectoryStream<Path> dir, Runnable progress, long[] deleted)
            throws IOException {
        List<Path> names = new ArrayList<>();
        for (Path entry : dir) {
            names.add(entry.getFileName());
        }
        for (Path name : names) {
            java.nio.file.attribute.BasicFileAttributes a = dir.getFileAttributeView(
                            name,
                            java.nio.file.attribute.BasicFileAttributeView.class,
                            java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
            if (a.isDirectory()) {
                try (java.nio.file.SecureDirectoryStream<Path> sub =
                        dir.newDirectoryStream(name, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    emptySecurely(sub, progress, deleted);
                }
                dir.deleteDirectory(name);
            } else {
                dir.deleteFile(name);
            }
            if (++deleted[0] % 1000 == 0) {
                progress.run();
            }
        }
    }

    /** Runs {@code work}, calling {@code progress} every 10 s while it runs. */
    private static void whileRunning(Runnable progress, Runnable work) {
        java.util.concurrent.ScheduledExecutorService ticks =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "progress");
                    t.setDaemon(true);
                    return t;
                });
        var unused = ticks.scheduleAtFixedRate(progress, 10, 10, java.util.concurrent.TimeUnit.SECONDS);
        try {
            work.run();
        } finally {
            ticks.shutdownNow();
        }
    }

    /** Stops the restored server of {@code req} if it runs (the agent is being stopped mid-restore). */
    public void stopServer(RestoreRequest req) {
        Path dir = dir(req);
        if (Files.exists(dir.resolve("postmaster.pid"))) {
            log("stopping the restored server in " + dir);
            Processes.run(tools(dir).asPostgres("pg_ctl", "-D", dir.toString(), "-m", "fast", "-w", "stop"));
        }
    }

    private void stopQuietly(Path dir) {
        Processes.run(tools(dir).asPostgres("pg_ctl", "-D", dir.toString(), "-m", "immediate", "-w", "stop"));
    }

    private void log(String msg) {
        log.println(msg);
        log.flush();
    }
}
