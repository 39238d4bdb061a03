package dev.pitr.drill;

import dev.pitr.catalog.DrillRecord;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.PgTools;
import dev.pitr.restore.RestoreRequest;
import dev.pitr.restore.RestoreSteps;
import dev.pitr.retention.RetentionPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * What a drill adds to a restore's steps on the host that runs it, for the restore state machine's drills (the agent
 * runs them between the restore's own steps) and for {@code pitr drill}: where its copy goes, whether it fits, keeping
 * its server to itself before it starts, the checks once it promoted, and removing it all after. Everything a drill
 * touches is named from its id and this host's configuration ({@code drill.*}), never from a request.
 */
public final class DrillSteps {

    /** A drill's id names its directories: a plain name, short enough for a socket's path under /tmp. */
    private static final java.util.regex.Pattern ID =
            java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final Config config;
    private final PgTools tools;
    private final PrintWriter log;

    public DrillSteps(Config config, PgTools tools, PrintWriter log) {
        this.config = config;
        this.tools = tools;
        this.log = log;
    }

    /**
     * The state machine's drill {@code id} as this host runs it: {@code req}'s target and timeline, restored into
     * {@link #scratchDirectory} and promoted. Its server listens on no TCP address, so its port ({@code drill.port},
     * else 5432) only names its socket in a directory of its own.
     */
    public RestoreRequest scratchRequest(String id, RestoreRequest req) {
        int port = config.requireInt(Key.DRILL_PORT);
        return new RestoreRequest(
                req.target(),
                req.timeline(),
                req.inclusive(),
                scratchDirectory(id),
                port == 0 ? 5432 : port,
                RestoreRequest.Action.PROMOTE,
                req.snapshot(),
                false);
    }

    /**
     * The drill {@code id}'s directory under {@code drill.directory} (the system's temporary directory by default):
     * {@code pitr-<id>}.
     *
     * @throws PitrException {@code bad-target} for an id that is not a plain name
     */
    public Path scratchDirectory(String id) {
        requirePlainId(id);
        Path parent = config.get(Key.DRILL_DIRECTORY)
                .map(x -> config.requirePath(Key.DRILL_DIRECTORY))
                .orElse(Path.of(System.getProperty("java.io.tmpdir")));
        return parent.toAbsolutePath().normalize().resolve("pitr-" + id);
    }

    /**
     * Makes the drill's directory {@code dir}, new (one that exists already, or a link there, is refused and left as it
     * is), owner-only, once its copy would fit ({@link #requireRoom}): a drill's copy goes into a directory it made,
     * never into one somebody else made or swapped in.
     */
    public void prepare(Path dir, long chainBytes) {
        requireRoom(dir, chainBytes);
        try {
            Files.createDirectories(dir.getParent());
            Files.createDirectory(
                    dir,
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    "the drill's scratch directory " + dir + " exists already",
                    "run the drill again with a new id; remove " + dir + " if an earlier drill left it");
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot make the drill's scratch directory " + dir + ": " + e.getMessage(),
                    "set drill.directory to a directory this user may write",
                    e);
        }
    }

    /**
     * Refuses to go on with a drill whose directory {@code dir} is not the one {@link #prepare} made: a directory, no
     * link, owner-only, this user's or the server user's (to whom the restore hands it).
     */
    public void requireOwn(Path dir) {
        try {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String owner = a.owner().getName();
            boolean ours = owner.equals(System.getProperty("user.name")) || owner.equals(tools.osUser());
            if (!a.isDirectory() || !ours || !a.permissions().equals(OWNER_ONLY)) {
                throw new IOException("it is not an owner-only directory of " + tools.osUser() + "'s or this user's");
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_REFUSED,
                    "the drill's scratch directory " + dir + " is not the one the drill made: " + e.getMessage(),
                    "run the drill again with a new id; look at what made " + dir);
        }
    }

    private static final Set<PosixFilePermission> OWNER_ONLY =
            Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    /**
     * Refuses a drill whose copy would not fit: {@code chainBytes} (the snapshot chain's plain size) and the prefetch
     * spool, with a margin, in the free space where {@code dir} will be (a drill on the database's own host must not
     * fill its disk).
     */
    public void requireRoom(Path dir, long chainBytes) {
        Path parent = dir.getParent();
        long need = chainBytes + ((long) config.requireInt(Key.RESTORE_PREFETCH_MB) << 20) + (1L << 30);
        long free;
        try {
            Path existing = parent;
            while (existing.getParent() != null && !Files.isDirectory(existing)) {
                existing = existing.getParent();
            }
            free = Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot read the free space of " + parent + ": " + e.getMessage(),
                    "set drill.directory to a directory that exists",
                    e);
        }
        if (free < need) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "the drill needs about " + (need >> 20) + " MiB in " + parent + " and it has " + (free >> 20)
                            + " MiB free",
                    "set drill.directory to a file system with room for a whole restore");
        }
    }

    /**
     * Keeps the restored copy of {@code req} (written, not yet started) to itself ({@link ScratchServer#isolate}),
     * its socket in a new directory {@code /tmp/pitr-sock-<id>} only the server's OS user may enter.
     */
    public void isolate(String id, RestoreRequest req) {
        Path sockets = socketDirectory(id);
        try {
            ScratchServer.makeSocketDirectory(sockets, tools.osUser());
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot make the socket directory " + sockets + " for the drill's server: " + e.getMessage(),
                    "check that /tmp is writable and holds no " + sockets + " already",
                    e);
        }
        server(req, sockets).isolate(config.require(Key.DRILL_SHARED_BUFFERS));
    }

    /**
     * The checks of the promoted copy of {@code req} ({@link DrillChecks}): amcheck, then {@code drill.checks}. Each
     * query is bounded by {@code drill.check_timeout}, so {@code progress} is called every 10 s while they run: a check
     * of a large database is busy, not stalled.
     */
    public List<DrillRecord.Check> check(String id, RestoreRequest req, Runnable progress) {
        Path sockets = socketDirectory(id);
        if (!isPrivate(sockets)) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "the drill's socket directory " + sockets + " is not the directory only " + tools.osUser()
                            + " may enter that the drill made",
                    "run the drill again");
        }
        java.util.concurrent.ScheduledExecutorService ticker =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "pitr-drill-checks");
                    t.setDaemon(true);
                    return t;
                });
        java.util.concurrent.ScheduledFuture<?> beats =
                ticker.scheduleAtFixedRate(progress, 10, 10, java.util.concurrent.TimeUnit.SECONDS);
        try {
            return new DrillChecks(server(req, sockets), config.requireBoolean(Key.DRILL_AMCHECK), log)
                    .run(SqlCheck.from(config));
        } finally {
            beats.cancel(false);
            ticker.shutdownNow();
        }
    }

    /**
     * Stops the server of the drill {@code id}'s copy if it runs and removes its data directory and its socket
     * directory (that one only if it is the drill's own), never through a link. Never throws.
     *
     * @return null when all is gone; else what stays, and why (a server that would not stop keeps its copy)
     */
    public String cleanUp(String id, RestoreRequest req) {
        Path dir = req.targetDir();
        try {
            Path sockets = socketDirectory(id);
            if (!server(req, sockets).stop()) {
                return log("the drill's server in " + dir + " did not stop: stop it ('pg_ctl -D ... stop') and remove"
                        + " the directory by hand");
            }
            RestoreSteps.removeTree(dir);
            // a directory of that name the drill did not make (somebody else's, made first) is not the drill's to
            // remove
            if (isPrivate(sockets)) {
                RestoreSteps.removeTree(sockets);
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return log("cannot remove the drill's copy in " + dir + ": " + e.getMessage() + "; remove it by hand");
        }
    }

    /** {@code drill.check_timeout} as PostgreSQL's statement_timeout reads it. */
    String statementTimeout() {
        Duration d = RetentionPolicy.parseDuration(config.require(Key.DRILL_CHECK_TIMEOUT))
                .orElseThrow(() -> new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "drill.check_timeout must be a duration such as 15m",
                        "fix 'drill.check_timeout' in " + config.file()));
        return d.toMillis() + "ms";
    }

    private ScratchServer server(RestoreRequest req, Path sockets) {
        Path dir = req.targetDir();
        PgTools forCopy = RestoreSteps.dataDirectoryMajor(dir).stream()
                .mapToObj(tools::forMajor)
                .findFirst()
                .orElse(tools);
        return new ScratchServer(dir, sockets, req.port(), config.require(Key.DRILL_USER), forCopy, statementTimeout());
    }

    private static Path socketDirectory(String id) {
        requirePlainId(id);
        return Path.of("/tmp", "pitr-sock-" + id);
    }

    /** Whether {@code sockets} is what {@link #isolate} made: a directory, no link, the server user's alone. */
    private boolean isPrivate(Path sockets) {
        try {
            PosixFileAttributes a = Files.readAttributes(sockets, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            boolean owned = !OsUser.isRoot() || a.owner().getName().equals(tools.osUser());
            return a.isDirectory() && owned && a.permissions().equals(OWNER_ONLY);
        } catch (IOException e) {
            return false;
        }
    }

    private static void requirePlainId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new PitrException(
                    ErrorCode.BAD_TARGET,
                    "a drill's id must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, not "
                            + (id == null ? "none" : "'" + id + "'"),
                    "start the drill with a plain id");
        }
    }

    private String log(String line) {
        synchronized (log) {
            log.println(line);
            log.flush();
        }
        return line;
    }
}
