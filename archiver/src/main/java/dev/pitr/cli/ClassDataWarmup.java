package dev.pitr.cli;

import dev.pitr.restore.RestoreSteps;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.LibraryLoaderUtil;
import picocli.CommandLine;

/**
 * What the launcher runs, once per jar and Java, to save a class data sharing archive ({@code
 * -XX:ArchiveClassesAtExit}) that later short commands map instead of loading and verifying their classes: the commands
 * archive_command and restore_command run and the ones an operator types, each run here on a repository of its own in
 * a temporary directory (a key file, local storage, a catalog, a segment of zeros pushed, fetched back, the window and
 * the snapshots listed), and the classes a snapshot reads the server's stream with. Nothing outside that directory is
 * touched, nothing is printed, and it is removed at the end; a command that fails here only leaves its classes out of
 * the archive.
 *
 * <p>{@code --save-sqlite FILE} also writes SQLite's native library for this platform to {@code FILE} (named as SQLite
 * names it, {@code libsqlitejdbc.so}), for short commands to load from its directory with {@code -Dorg.sqlite.lib.path}
 * instead of each extracting a copy of their own into the temporary directory (about a tenth of a second, and a
 * megabyte left behind by every JVM killed before it exits); failing that, it still saves the archive. {@code
 * --save-sqlite-only FILE} writes the library alone, for an archive saved without one. {@code
 * --check-sqlite FILE} opens a database in memory and exits 0 only when the library mapped is {@code FILE}: what the
 * launcher runs, with nowhere else to load one from, before it keeps the file.
 */
public final class ClassDataWarmup {

    private ClassDataWarmup() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("--check-sqlite")) {
            System.exit(loadsSqliteFrom(Path.of(args[1])) ? 0 : 1);
        }
        if (args.length == 2 && args[0].equals("--save-sqlite-only")) {
            saveSqliteLibraryOrNothing(Path.of(args[1]));
            System.exit(0);
        }
        Path dir = Files.createTempDirectory("pitr-warmup-");
        try {
            run(dir);
        } finally {
            RestoreSteps.removeTree(dir);
        }
        if (args.length == 2 && args[0].equals("--save-sqlite")) {
            // the archive is worth saving without it
            saveSqliteLibraryOrNothing(Path.of(args[1]));
        }
        // whatever threads a command left (a pool, a timer), the JVM ends here and saves the archive
        System.exit(0);
    }

    /**
     * Writes the SQLite library this platform loads to {@code to}, a new file in a directory made for it when missing;
     * nothing when the jar has none.
     */
    static void saveSqliteLibrary(Path to) throws IOException {
        String resource = LibraryLoaderUtil.getNativeLibResourcePath() + "/" + LibraryLoaderUtil.getNativeLibName();
        try (InputStream in = SQLiteJDBCLoader.class.getResourceAsStream(resource)) {
            if (in != null) {
                Files.createDirectories(to.toAbsolutePath().getParent());
                Files.copy(in, to);
            }
        }
    }

    /** {@link #saveSqliteLibrary}, leaving no file when it fails. */
    static void saveSqliteLibraryOrNothing(Path to) {
        try {
            saveSqliteLibrary(to);
        } catch (IOException | RuntimeException | LinkageError e) {
            try {
                Files.deleteIfExists(to);
            } catch (IOException ignored) {
                // the launcher keeps a library only once a JVM loaded it
            }
        }
    }

    /** True when a database opens in memory, and the SQLite library this process mapped is {@code library}. */
    static boolean loadsSqliteFrom(Path library) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT sqlite_version()")) {
            if (!rs.next()) {
                return false;
            }
            String mapped = library.toRealPath().toString();
            try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
                return maps.anyMatch(l -> l.endsWith(" " + mapped));
            }
        } catch (SQLException | IOException e) {
            return false;
        }
    }

    /** Runs the warm-up's commands in {@code dir}, returning each one's exit code. */
    static List<Integer> run(Path dir) throws IOException {
        Path key = dir.resolve("archive.key");
        Path config = dir.resolve("pitr.yaml");
        Files.writeString(
                config,
                "primary:\n  host: 127.0.0.1\nstorage:\n  path: " + dir.resolve("repo") + "\ncatalog:\n  path: "
                        + dir.resolve("catalog.db") + "\nwal:\n  spool_dir: " + dir.resolve("spool")
                        + "\nencryption:\n  mode: key-file\n  key_file: " + key + "\n");
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        String segment = "000000010000000000000001";
        try (RandomAccessFile f = new RandomAccessFile(pgWal.resolve(segment).toFile(), "rw")) {
            f.setLength(16L << 20);
        }
        String c = config.toString();
        List<Integer> codes = new ArrayList<>();
        for (List<String> command : List.of(
                List.of("keys", "generate", "--out", key.toString()),
                List.of("--config", c, "init", "--create"),
                List.of("--config", c, "wal", "push", pgWal.resolve(segment).toString()),
                List.of(
                        "--config",
                        c,
                        "wal",
                        "fetch",
                        segment,
                        dir.resolve("fetched").toString()),
                List.of("--config", c, "restore-window"),
                List.of("--config", c, "snapshot", "list"),
                List.of("--config", c, "wal", "fetch", "--help"))) {
            PrintWriter none = new PrintWriter(Writer.nullWriter());
            CommandLine cl = PitrCommand.commandLine(Map.of());
            cl.setOut(none);
            cl.setErr(none);
            codes.add(cl.execute(command.toArray(String[]::new)));
        }
        // a snapshot reads the server's tar, and connects to the server
        try (TarArchiveInputStream tar = new TarArchiveInputStream(InputStream.nullInputStream())) {
            tar.getNextEntry();
        }
        try {
            Class.forName("org.postgresql.Driver");
        } catch (ClassNotFoundException e) {
            // not in this jar: nothing to save
        }
        return codes;
    }
}
