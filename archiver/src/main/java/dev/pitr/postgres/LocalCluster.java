package dev.pitr.postgres;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * A throwaway PostgreSQL cluster on 127.0.0.1 for the demo and the tests: initdb into a directory, configured for
 * replication with trust authentication, run as the PostgreSQL OS user.
 */
public final class LocalCluster implements AutoCloseable {

    private final PgTools tools;
    private final Path dataDir;
    private final int port;

    private LocalCluster(PgTools tools, Path dataDir, int port) {
        this.tools = tools;
        this.dataDir = dataDir;
        this.port = port;
    }

    /** Runs initdb in {@code dataDir} (which must not exist) and configures the cluster to listen on {@code port}. */
    public static LocalCluster init(PgTools tools, Path dataDir, int port) {
        try {
            createDataDir(tools, dataDir);
            check(
                    Processes.run(tools.asPostgres(
                            "initdb",
                            "-D",
                            dataDir.toString(),
                            "-U",
                            "postgres",
                            "--auth=trust",
                            "-E",
                            "UTF8",
                            "--no-sync")),
                    "initdb");
            String conf = "\n# throwaway cluster\n"
                    + "port = " + port + "\n"
                    + "listen_addresses = '127.0.0.1'\n"
                    + "unix_socket_directories = ''\n"
                    + "wal_level = replica\n"
                    + "max_wal_senders = 10\n"
                    + "max_replication_slots = 10\n"
                    + "fsync = off\n"
                    + "shared_buffers = 32MB\n"
                    + "log_min_messages = warning\n";
            Files.writeString(
                    dataDir.resolve("postgresql.conf"), conf, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            return new LocalCluster(tools, dataDir, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A hot standby of {@code primary} in {@code dataDir} (which must not exist), as the original topology has it:
     * {@code pg_basebackup} on a slot of its own, {@code slot}, created on the primary. Not started. The standby settings
     * are written here rather than by {@code -R}, whose connection string names every option of the client's libpq
     * ({@code sslsni} from 14 on), which an older server's libpq refuses.
     */
    public static LocalCluster standbyOf(PgTools tools, LocalCluster primary, Path dataDir, int port, String slot) {
        try {
            createDataDir(tools, dataDir);
            check(
                    Processes.run(tools.asPostgres(
                            "pg_basebackup",
                            "-h",
                            "127.0.0.1",
                            "-p",
                            Integer.toString(primary.port()),
                            "-U",
                            "postgres",
                            "-D",
                            dataDir.toString(),
                            "-C",
                            "-S",
                            slot,
                            "-X",
                            "stream",
                            // a spread checkpoint takes up to checkpoint_completion_target of checkpoint_timeout (4.5
                            // minutes by default) on a primary with dirty buffers
                            "--checkpoint=fast",
                            "--no-sync")),
                    "pg_basebackup");
            // postgresql.conf came from the primary; the standby listens on its own port
            Files.writeString(
                    dataDir.resolve("postgresql.auto.conf"),
                    "port = " + port + "\nhot_standby = on\n"
                            + "primary_conninfo = 'host=127.0.0.1 port=" + primary.port() + " user=postgres'\n"
                            + "primary_slot_name = '" + slot + "'\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
            Files.createFile(dataDir.resolve("standby.signal"));
            return new LocalCluster(tools, dataDir, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Promotes this standby and waits until it accepts writes. */
    public LocalCluster promote() {
        check(
                Processes.run(tools.asPostgres("pg_ctl", "-D", dataDir.toString(), "-w", "-t", "60", "promote")),
                "pg_ctl promote");
        return this;
    }

    /** An empty data directory, mode 0700, owned by the PostgreSQL OS user. */
    private static void createDataDir(PgTools tools, Path dataDir) throws IOException {
        Files.createDirectories(dataDir.getParent());
        Files.createDirectory(
                dataDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (OsUser.isRoot()) {
            check(Processes.run(List.of("chown", tools.osUser() + ":", dataDir.toString())), "chown");
        }
    }

    /** A cluster that already exists in {@code dataDir}, e.g. one a restore created. */
    public static LocalCluster existing(PgTools tools, Path dataDir, int port) {
        return new LocalCluster(tools, dataDir, port);
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public LocalCluster start() {
        check(
                Processes.run(tools.asPostgres(
                        "pg_ctl",
                        "-D",
                        dataDir.toString(),
                        "-l",
                        dataDir.resolve("server.log").toString(),
                        "-w",
                        "-t",
                        "60",
                        "start")),
                "pg_ctl start");
        return this;
    }

    public void stop() {
        Processes.run(tools.asPostgres("pg_ctl", "-D", dataDir.toString(), "-m", "fast", "-w", "stop"));
    }

    public boolean running() {
        return Processes.run(tools.asPostgres("pg_ctl", "-D", dataDir.toString(), "status"))
                .ok();
    }

    public Primary primary() {
        return new Primary("127.0.0.1", port, "postgres", null, "postgres");
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Connection connect() {
        return primary().connect();
    }

    public void execute(String sql) {
        try (Connection c = connect();
                Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    public String queryOne(String sql) {
        try (Connection c = connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static void check(Processes.Result r, String what) {
        if (!r.ok()) {
            throw new PitrException(
                    ErrorCode.INTERNAL, what + " failed: " + r.output().strip(), "see the output above");
        }
    }
}
