package dev.pitr.restore;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What a restore's target directory must be before anything is written into it: a name no shell acts on, and empty,
 * or with {@code --force} a PostgreSQL data directory or an earlier restore in which no server runs.
 */
final class TargetDirectory {

    private TargetDirectory() {}

    /**
     * pg_ctl hands the data directory and its log file to a shell inside double quotes, where {@code $}, a backquote
     * and a backslash still act and a double quote ends the word: a directory named with one of them would run what
     * follows as the server's OS user. Every other character, a space or a single quote among them, is fine.
     */
    static void refuseUnsafeName(Path dir) {
        String s = dir.toString();
        for (char c : new char[] {'"', '$', '`', '\\', '\n', '\r'}) {
            if (s.indexOf(c) >= 0) {
                throw new PitrException(
                        ErrorCode.USAGE,
                        "the target directory " + s.replace("\n", "\\n").replace("\r", "\\r")
                                + " holds a character pg_ctl would let a shell act on (\" $ ` \\ or a line break)",
                        "choose a directory name without them");
            }
        }
    }

    /**
     * An empty or missing directory is taken as it is. A non-empty one only with {@code force}, and even then never the
     * root directory, one a server still runs in, or one that is neither a PostgreSQL data directory nor an earlier
     * pitr restore: --force wipes what a restore would replace, not whatever a mistyped path names.
     */
    static void refuseNonEmpty(Path dir, boolean force) {
        if (missingOrEmpty(dir)) {
            return;
        }
        if (!force) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    "target directory " + dir + " is not empty",
                    "choose an empty directory, or pass --force to wipe it (everything in it is deleted)");
        }
        if (dir.getNameCount() == 0) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY, "--force will not wipe " + dir, "choose another --target-dir");
        }
        Optional<Long> pid = livePostmaster(dir);
        if (pid.isPresent()) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    "a PostgreSQL server (pid " + pid.get() + ") is running in " + dir
                            + "; --force does not wipe a running server",
                    "stop it first (pg_ctl stop -D " + dir + "), or choose another --target-dir");
        }
        if (!Files.isRegularFile(dir.resolve("PG_VERSION"), LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(dir.resolve(RestoreSteps.RESTORE_LOG), LinkOption.NOFOLLOW_LINKS)) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    dir + " is not empty and is neither a PostgreSQL data directory nor an earlier pitr restore;"
                            + " --force wipes only those",
                    "choose another --target-dir, or empty it yourself if it really is to go");
        }
    }

    /**
     * A delta restore's target, before anything in it is touched: empty or missing (an ordinary restore then), or a
     * stopped data directory of the repository's cluster, {@code systemIdentifier} of PostgreSQL {@code major} (0 when
     * unknown; an unknown cluster is refused). A running server, a directory that is not a data directory, and another cluster's are
     * refused. True when it holds a data directory to restore onto.
     */
    static boolean refuseForDelta(Path dir, String systemIdentifier, int major) {
        // a link in the target's place is refused: what a delta changes must be the directory itself
        if (missingOrEmpty(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        if (Files.exists(dir.resolve("postmaster.pid"), LinkOption.NOFOLLOW_LINKS)) {
            Optional<Long> pid = livePostmaster(dir);
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    pid.isPresent()
                            ? "a PostgreSQL server (pid " + pid.get() + ") is running in " + dir
                                    + "; a delta restore needs it stopped"
                            : dir + " holds a postmaster.pid: the server it names may be running",
                    "stop the server (pg_ctl stop -D " + dir + "); if none runs, remove "
                            + dir.resolve("postmaster.pid"));
        }
        Path control = dir.resolve("global/pg_control");
        if (!Files.isRegularFile(dir.resolve("PG_VERSION"), LinkOption.NOFOLLOW_LINKS)
                || !Files.isRegularFile(control, LinkOption.NOFOLLOW_LINKS)) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    dir + " is not empty and is not a PostgreSQL data directory (no PG_VERSION or global/pg_control);"
                            + " --delta restores only onto one",
                    "choose an empty --target-dir, or the data directory of a stopped server of this cluster");
        }
        String version;
        String found;
        try {
            version = Files.readString(dir.resolve("PG_VERSION"), StandardCharsets.US_ASCII)
                    .strip();
            found = dev.pitr.postgres.ControlFile.read(dir).systemIdentifier();
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    "cannot read the data directory in " + dir + ": " + e.getMessage(),
                    "choose an empty --target-dir, or the data directory of a stopped server of this cluster",
                    e);
        }
        if (systemIdentifier == null) {
            throw new PitrException(
                    ErrorCode.WRONG_CLUSTER,
                    "the archive records no cluster yet (no pitr-cluster.json), so the cluster in " + dir
                            + " cannot be checked; nothing was changed",
                    "restore into an empty --target-dir");
        }
        if (!systemIdentifier.equals(found)) {
            throw new PitrException(
                    ErrorCode.WRONG_CLUSTER,
                    dir + " holds the cluster with system identifier " + found + ", but the archive is of the cluster "
                            + systemIdentifier + "; nothing was changed",
                    "restore with --delta only into a data directory of the archive's own cluster, or into an empty"
                            + " --target-dir");
        }
        if (major != 0 && !version.equals(Integer.toString(major))) {
            throw new PitrException(
                    ErrorCode.WRONG_CLUSTER,
                    dir + " holds a PostgreSQL " + version + " data directory, but the archive is of PostgreSQL "
                            + major + "; nothing was changed",
                    "restore into an empty --target-dir");
        }
        return true;
    }

    /** True when {@code dir} does not exist or is an empty directory; anything else but a directory is refused. */
    private static boolean missingOrEmpty(Path dir, LinkOption... options) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        if (!Files.isDirectory(dir, options)) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    dir + " exists and is not a directory",
                    "choose another --target-dir");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO, "cannot read " + dir + ": " + e.getMessage(), "check permissions", e);
        }
    }

    /** The pid in {@code dir}'s postmaster.pid, when that process is alive. */
    private static Optional<Long> livePostmaster(Path dir) {
        Path pidFile = dir.resolve("postmaster.pid");
        if (!Files.exists(pidFile, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            String first = Files.readAllLines(pidFile, StandardCharsets.US_ASCII).stream()
                    .findFirst()
                    .orElse("")
                    .strip();
            long pid = Long.parseLong(first);
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(h -> pid);
        } catch (IOException | NumberFormatException e) {
            // unreadable or damaged: treat it as a server that may still run
            return Optional.of(-1L);
        }
    }
}
