package dev.pitr.drill;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Processes;
import dev.pitr.restore.RestoreSteps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A drill's restored server, kept to itself: it listens on no TCP address, only on a Unix socket in a directory only
 * the server's OS user can enter, and its own {@code hba_file} lets that user in without a password. So the drill
 * logs in whatever the production pg_hba.conf says, and nothing else on the host reaches the copy of production data.
 * Queries run through {@code psql} as the server's OS user.
 */
final class ScratchServer {

    /** The file the scratch server reads as its pg_hba.conf; the restored one stays as it was. */
    static final String HBA_FILE = "pitr-drill-hba.conf";

    private final Path dataDir;
    private final Path sockets;
    private final int port;
    private final String user;
    private final PgTools tools;
    private final String statementTimeout;

    ScratchServer(Path dataDir, Path sockets, int port, String user, PgTools tools, String statementTimeout) {
        this.dataDir = dataDir;
        this.sockets = sockets;
        this.port = port;
        this.user = user;
        this.tools = tools;
        this.statementTimeout = statementTimeout;
    }

    /**
     * A directory for the server's socket, short enough for a socket's path (about 100 bytes), only the server's OS
     * user's.
     */
    static Path socketDirectory(String osUser) {
        try {
            Path dir = Files.createTempDirectory(
                    Path.of("/tmp"),
                    "pitr-drill-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            handTo(dir, osUser);
            return dir;
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot make a socket directory for the drill's server: " + e.getMessage(),
                    "check that /tmp is writable",
                    e);
        }
    }

    /** Makes {@code dir}, new (never one that exists, nor through a link), for the server's socket, {@code osUser}'s only. */
    static void makeSocketDirectory(Path dir, String osUser) throws IOException {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        handTo(dir, osUser);
    }

    private static void handTo(Path dir, String osUser) throws IOException {
        if (OsUser.isRoot()) {
            Processes.Result r = Processes.run(List.of("chown", "-h", osUser + ":", dir.toString()));
            if (!r.ok()) {
                throw new IOException("chown " + dir + ": " + r.output().strip());
            }
        }
    }

    /**
     * Settings that keep the server to itself, appended to {@code postgresql.auto.conf} (the last word on a setting),
     * and its own hba file; run before the server first starts. {@code sharedBuffers} keeps a copy of a large
     * production server from taking its memory on the host the drill runs on.
     */
    void isolate(String sharedBuffers) {
        String conf = "\n# added by pitr drill: a scratch copy, reachable only through its own socket, reaching out to"
                + " nothing\n"
                + "listen_addresses = ''\n"
                + "unix_socket_directories = " + quote(sockets.toString()) + "\n"
                + "hba_file = " + quote(dataDir.resolve(HBA_FILE).toString()) + "\n"
                + "shared_buffers = " + quote(sharedBuffers) + "\n"
                // a subscription of the copy would consume production's slot; pg_cron's jobs would run again
                + "max_logical_replication_workers = 0\n"
                + "cron.launch_active_jobs = off\n";
        try {
            Path hba = dataDir.resolve(HBA_FILE);
            // a new file, never through a link: the directory is the server user's
            Files.writeString(
                    hba,
                    "local all all trust\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            Path auto = dataDir.resolve("postgresql.auto.conf");
            if (Files.isSymbolicLink(auto)) {
                throw new IOException(auto + " is a link");
            }
            Files.writeString(auto, conf, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            if (OsUser.isRoot()) {
                Processes.Result r = Processes.run(List.of("chown", "-h", tools.osUser() + ":", hba.toString()));
                if (!r.ok()) {
                    throw new IOException("chown " + hba + ": " + r.output().strip());
                }
            }
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot keep the drill's server to itself: " + e.getMessage(),
                    "check " + dataDir,
                    e);
        }
    }

    /** What {@code psql} printed on its standard output for {@code sql} in {@code database}, or what failed. */
    record Answer(boolean ok, String output) {}

    /**
     * Runs {@code sql} in {@code database} through the private socket. {@code search_path} is pinned to {@code
     * pg_catalog} unless {@code operatorSql}: a role that owns a database in production must not be able to put its
     * own functions in the way of the drill's superuser queries.
     */
    Answer query(String database, String sql, boolean operatorSql) {
        // a conninfo, never a bare name: a database named 'host=...' must not send psql elsewhere
        String conninfo = "host=" + conninfoQuote(sockets.toString()) + " port=" + port + " user=" + conninfoQuote(user)
                + " dbname=" + conninfoQuote(database) + " application_name=pitr-drill";
        ProcessBuilder pb = new ProcessBuilder(tools.asPostgres(
                        "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql))
                .directory(sockets.toFile());
        // nothing of the caller's libpq environment (PGHOSTADDR, PGSERVICE ...) may point psql elsewhere
        pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
        pb.environment()
                .put(
                        "PGOPTIONS",
                        "-c statement_timeout=" + statementTimeout + " -c client_min_messages=warning"
                                + (operatorSql ? "" : " -c search_path=pg_catalog,pg_temp"));
        pb.environment().put("PGCONNECT_TIMEOUT", "30");
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            java.util.concurrent.CompletableFuture<byte[]> err =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return p.getErrorStream().readAllBytes();
                        } catch (IOException e) {
                            return new byte[0];
                        }
                    });
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int code = p.waitFor();
            String errors = new String(err.join(), StandardCharsets.UTF_8).strip();
            return code == 0 ? new Answer(true, out) : new Answer(false, errors.isEmpty() ? out : errors);
        } catch (IOException e) {
            return new Answer(false, "cannot run psql: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(false, "interrupted");
        }
    }

    /**
     * Stops the server at once, if it runs: what it holds is thrown away. False when it still runs after that, and the
     * directory must then stay.
     */
    boolean stop() {
        if (!Files.exists(dataDir.resolve("postmaster.pid"), LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        Processes.run(tools.asPostgres("pg_ctl", "-D", dataDir.toString(), "-m", "immediate", "-w", "stop"));
        return !Processes.run(tools.asPostgres("pg_ctl", "status", "-D", dataDir.toString()))
                .ok();
    }

    /** Removes the data directory and the socket directory, never through a link. */
    void remove() throws IOException {
        RestoreSteps.removeTree(dataDir);
        RestoreSteps.removeTree(sockets);
    }

    /** Removes what restore_command read (storage settings, keys), which a failed restore leaves in the directory. */
    void removeSecrets() throws IOException {
        Files.deleteIfExists(dataDir.resolve(RestoreSteps.FETCH_CONFIG));
        RestoreSteps.removeTree(dataDir.resolve(RestoreSteps.KEY_DIR));
    }

    private static String quote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static String conninfoQuote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
