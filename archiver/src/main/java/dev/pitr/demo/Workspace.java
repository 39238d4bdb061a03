package dev.pitr.demo;

import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Processes;
import dev.pitr.restore.RestoreSteps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The throwaway directory the demo and the benchmarks work in: wiped on start (stopping any server a previous run
 * left there), and readable by the postgres OS user, which runs restore_command against it.
 */
public final class Workspace {

    private Workspace() {}

    /** Stops servers left in {@code base}'s subdirectories, deletes it, and recreates it empty and world-readable. */
    public static void reset(Path base, PgTools tools) throws IOException {
        if (Files.exists(base)) {
            try (Stream<Path> dirs = Files.list(base)) {
                for (Path dir : dirs.filter(d -> Files.exists(d.resolve("postmaster.pid")))
                        .toList()) {
                    Processes.run(tools.asPostgres("pg_ctl", "-D", dir.toString(), "-m", "immediate", "-w", "stop"));
                }
            }
            Processes.run(List.of("rm", "-rf", base.toString()));
        }
        Files.createDirectories(base);
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The parents of {@code base} the postgres OS user cannot search, which would make restore_command fail. */
    public static List<Path> unsearchableParents(Path base) throws IOException {
        if (!OsUser.isRoot()) {
            return List.of();
        }
        List<Path> out = new java.util.ArrayList<>();
        for (Path p = base.getParent(); p != null; p = p.getParent()) {
            if (!PosixFilePermissions.toString(Files.getPosixFilePermissions(p)).endsWith("x")) {
                out.add(p);
            }
        }
        return out;
    }

    /** A copy of the running pitr.jar in {@code base}, and the restore_command prefix that runs it. */
    static Optional<String> pitrCommandCopy(Path base) {
        return RestoreSteps.runningJar().map(jar -> pitrCommandCopy(base, jar));
    }

    /** A copy of {@code jar} (a pitr.jar) in {@code base}, and the restore_command prefix that runs it. */
    public static String pitrCommandCopy(Path base, Path jar) {
        try {
            return RestoreSteps.pitrCommand(Files.copy(jar, base.resolve("pitr.jar")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
