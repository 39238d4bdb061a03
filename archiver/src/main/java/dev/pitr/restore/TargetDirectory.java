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
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new PitrException(
                    ErrorCode.TARGET_DIR_NOT_EMPTY,
                    dir + " exists and is not a directory",
                    "choose another --target-dir");
        }
        try (Stream<Path> s = Files.list(dir)) {
            if (s.findAny().isEmpty()) {
                return;
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO, "cannot read " + dir + ": " + e.getMessage(), "check permissions", e);
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
