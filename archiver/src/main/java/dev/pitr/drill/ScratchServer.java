package dev.pitr.drill;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

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
            if (OsUser.isRoot()) {
                Processes.Result r = Processes.run(List.of("chown", osUser + ":", dir.toString()));
                if (!r.ok()) {
                    throw new IOException("chown " + dir + ": " + r.output().strip());
                }
            }
            return dir;
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot make a socket directory for the drill's server: " + e.getMessage(),
                    "check that /tmp is writable",
                    e);
        }
    }

    /**
     * Settings that keep the server to itself, appended to {@code postgresql.auto.conf} (the last word on a setting),
     * and its own hba file; run before the server first starts. {@code sharedBuffers} keeps a copy of a large
     * production server from taking its memory on the host the drill runs on.
     */
    void isolate(String sharedBuffers) {
        String conf = "\n# added by pitr drill: a scratch copy, reachable only through its own socket\n"
                + "listen_addresses = ''\n"
                + "unix_socket_directories = " + quote(sockets.toString()) + "\n"
                + "hba_file = " + quote(dataDir.resolve(HBA_FILE).toString()) + "\n"
                + "shared_buffers = " + quote(sharedBuffers) + "\n";
        try {
            Path hba = dataDir.resolve(HBA_FILE);
            Files.writeString(hba, "local all all trust\n", StandardCharsets.UTF_8);
            Files.writeString(
                    dataDir.resolve("postgresql.auto.conf"), conf, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            if (OsUser.isRoot()) {
                Processes.Result r = Processes.run(List.of("chown", tools.osUser() + ":", hba.toString()));
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

    /** What {@code psql} printed for {@code sql} in {@code database}, or what failed. */
    record Answer(boolean ok, String output) {}

    Answer query(String database, String sql) {
        // a conninfo, never a bare name: a database named 'host=...' must not send psql elsewhere
        String conninfo = "host=" + conninfoQuote(sockets.toString()) + " port=" + port + " user=" + conninfoQuote(user)
                + " dbname=" + conninfoQuote(database) + " application_name=pitr-drill";
        List<String> cmd = new ArrayList<>(
                tools.asPostgres("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql));
        Processes.Result r = Processes.run(
                cmd,
                Map.of(
                        "PGOPTIONS",
                        "-c statement_timeout=" + statementTimeout + " -c client_min_messages=warning",
                        "PGCONNECT_TIMEOUT",
                        "30"));
        String out = r.output().strip();
        return new Answer(r.ok(), out);
    }

    /** Stops the server at once, if it runs: what it holds is thrown away. */
    void stop() {
        if (Files.exists(dataDir.resolve("postmaster.pid"), LinkOption.NOFOLLOW_LINKS)) {
            Processes.run(tools.asPostgres("pg_ctl", "-D", dataDir.toString(), "-m", "immediate", "-w", "stop"));
        }
    }

    /** Removes the data directory and the socket directory, following no link. */
    void remove() throws IOException {
        for (Path p : List.of(dataDir, sockets)) {
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(p)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    Path dataDir() {
        return dataDir;
    }

    private static String quote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static String conninfoQuote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
