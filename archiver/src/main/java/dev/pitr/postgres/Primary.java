package dev.pitr.postgres;

import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * How to reach the primary: JDBC for queries, libpq options for the client programs. With a standby configured it
 * names both servers and lets the client pick whichever accepts writes ({@code target_session_attrs=read-write} for
 * libpq, {@code targetServerType=primary} for JDBC), so capture and snapshots follow a promotion without a config
 * change. {@link #servers} gives each server on its own. The password and the TLS settings reach the client programs
 * through libpq's environment ({@code PGPASSWORD}, {@code PGSSLMODE}, {@code PGSSLROOTCERT}), never their command
 * line; without a password, both JDBC and libpq read the passfile ({@code PGPASSFILE} or {@code ~/.pgpass}).
 */
public final class Primary {

    /** One server's address. */
    public record Endpoint(String host, int port) {}

    /** libpq's {@code sslmode} values, which the JDBC driver takes too. */
    private static final java.util.Set<String> SSL_MODES =
            java.util.Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    /** {@code sslmode} and the CA certificate file, if one is set (null: the client's default, ~/.postgresql/root.crt). */
    public record Tls(String sslmode, String rootCert) {
        public static final Tls DEFAULT = new Tls("prefer", null);

        /** The {@code primary.sslmode} and {@code primary.sslrootcert} settings; an unknown mode is refused. */
        public static Tls from(Config c) {
            String mode = c.require(Key.PRIMARY_SSLMODE).trim();
            if (!SSL_MODES.contains(mode)) {
                throw new PitrException(
                        ErrorCode.CONFIG_INVALID,
                        "primary.sslmode '" + mode + "' is not an sslmode",
                        "use one of disable, allow, prefer, require, verify-ca, verify-full, as for libpq");
            }
            String root = c.get(Key.PRIMARY_SSLROOTCERT)
                    .map(x -> c.requirePath(Key.PRIMARY_SSLROOTCERT).toString())
                    .orElse(null);
            return new Tls(mode, root);
        }
    }

    private final List<Endpoint> endpoints;
    private final String user;
    private final String password;
    private final String dbname;
    private final Tls tls;

    public Primary(String host, int port, String user, String password, String dbname) {
        this(List.of(new Endpoint(host, port)), user, password, dbname, Tls.DEFAULT);
    }

    private Primary(List<Endpoint> endpoints, String user, String password, String dbname, Tls tls) {
        this.endpoints = List.copyOf(endpoints);
        this.user = user;
        this.password = password;
        this.dbname = dbname;
        this.tls = tls;
    }

    /** The primary, or with {@code standby.host} set, whichever of primary and standby is the primary now. */
    public static Primary from(Config c) {
        List<Endpoint> eps = new ArrayList<>();
        eps.add(new Endpoint(c.require(Key.PRIMARY_HOST), c.requireInt(Key.PRIMARY_PORT)));
        c.get(Key.STANDBY_HOST).ifPresent(h -> eps.add(new Endpoint(h, c.requireInt(Key.STANDBY_PORT))));
        return new Primary(
                eps,
                c.require(Key.PRIMARY_USER),
                c.get(Key.PRIMARY_PASSWORD).orElse(null),
                c.require(Key.PRIMARY_DBNAME),
                Tls.from(c));
    }

    /** The configured standby, reached with the primary's role, if one is configured. */
    public static java.util.Optional<Primary> standbyFrom(Config c) {
        return c.get(Key.STANDBY_HOST)
                .map(h -> new Primary(
                        List.of(new Endpoint(h, c.requireInt(Key.STANDBY_PORT))),
                        c.require(Key.PRIMARY_USER),
                        c.get(Key.PRIMARY_PASSWORD).orElse(null),
                        c.require(Key.PRIMARY_DBNAME),
                        Tls.from(c)));
    }

    /** Each configured server on its own, whatever its role now. */
    public List<Primary> servers() {
        return endpoints.stream()
                .map(e -> new Primary(List.of(e), user, password, dbname, tls))
                .toList();
    }

    public String describe() {
        return user + "@"
                + endpoints.stream().map(e -> e.host() + ":" + e.port()).collect(Collectors.joining(",")) + "/"
                + dbname;
    }

    public Connection connect() {
        return connect(new Properties(), endpoints);
    }

    /**
     * A physical replication connection, as pg_receivewal makes one, for the replication commands
     * ({@code IDENTIFY_SYSTEM}, {@code TIMELINE_HISTORY}) run as simple queries.
     */
    public Connection connectForReplication() {
        Properties p = new Properties();
        p.setProperty("replication", "true");
        p.setProperty("preferQueryMode", "simple");
        p.setProperty("assumeMinServerVersion", "9.4");
        if (endpoints.size() == 1) {
            return connect(p, endpoints);
        }
        // a walsender runs no SQL, so the driver cannot ask it whether it is the primary: a normal connection finds
        // the primary, and the one endpoint on its port is where the replication connection goes
        String port = queryOne("SELECT inet_server_port()");
        List<Endpoint> primaryOnes = endpoints.stream()
                .filter(e -> Integer.toString(e.port()).equals(port))
                .toList();
        if (primaryOnes.size() != 1) {
            throw new PitrException(
                    ErrorCode.PRIMARY_UNREACHABLE,
                    "cannot tell which of " + describe() + " is the primary (it answers on port " + port + ")",
                    "give each host of primary.host its own port, or name the primary alone");
        }
        return connect(p, primaryOnes);
    }

    private Connection connect(Properties p, List<Endpoint> to) {
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("connectTimeout", "10");
        p.setProperty("ApplicationName", "pitr");
        p.setProperty("sslmode", tls.sslmode());
        if (tls.rootCert() != null) {
            p.setProperty("sslrootcert", tls.rootCert());
        }
        if (to.size() > 1) {
            p.setProperty("targetServerType", "primary");
        }
        String hosts = to.stream().map(e -> e.host() + ":" + e.port()).collect(Collectors.joining(","));
        try {
            return DriverManager.getConnection("jdbc:postgresql://" + hosts + "/" + dbname, p);
        } catch (SQLException e) {
            throw new PitrException(
                    ErrorCode.PRIMARY_UNREACHABLE,
                    "cannot connect to " + describe() + ": " + e.getMessage(),
                    "check that the server is running and that primary.host, primary.port, primary.user and the password are right",
                    e);
        }
    }

    /** A single-value query on a fresh connection. */
    public String queryOne(String sql) {
        try (Session s = session()) {
            return s.queryOne(sql);
        }
    }

    /** A connection for several single-value queries in a row (each fresh connection is a server process forked). */
    public Session session() {
        return new Session(connect());
    }

    /** Single-value queries on one connection, closed with it. Each query commits on its own. */
    public final class Session implements AutoCloseable {
        private final Connection c;

        private Session(Connection c) {
            this.c = c;
        }

        /** The first column of the first row {@code sql} returns, or null when it returns none. */
        public String queryOne(String sql) {
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery(sql)) {
                return rs.next() ? rs.getString(1) : null;
            } catch (SQLException e) {
                throw new PitrException(
                        ErrorCode.PRIMARY_UNREACHABLE,
                        "query on " + describe() + " failed: " + e.getMessage(),
                        "check the server log",
                        e);
            }
        }

        @Override
        public void close() {
            try {
                c.close();
            } catch (SQLException e) {
                // nothing was left to do on it
            }
        }
    }

    /** The major version a {@code server_version_num} names (150004 is 15). */
    public static int major(String serverVersionNum) {
        return Integer.parseInt(serverVersionNum.strip()) / 10000;
    }

    /** The server's {@code wal_segment_size} in bytes (pg_settings reports bytes since PostgreSQL 11). */
    public long walSegmentSize() {
        return Long.parseLong(queryOne("SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'"));
    }

    /** {@code -h host -p port -U user}, or a multi-host connection string, for pg_receivewal and pg_basebackup. */
    public List<String> clientArgs() {
        if (endpoints.size() == 1) {
            Endpoint e = endpoints.get(0);
            return new ArrayList<>(
                    List.of("-h", e.host(), "-p", Integer.toString(e.port()), "-U", user, "--no-password"));
        }
        String hosts = endpoints.stream().map(Endpoint::host).collect(Collectors.joining(","));
        String ports = endpoints.stream().map(e -> Integer.toString(e.port())).collect(Collectors.joining(","));
        return new ArrayList<>(List.of(
                "-d",
                "host=" + hosts + " port=" + ports + " target_session_attrs=read-write",
                "-U",
                user,
                "--no-password"));
    }

    /** The password and the TLS settings go through the environment, never the command line. */
    public Map<String, String> clientEnv() {
        Map<String, String> env = new HashMap<>();
        if (password != null) {
            env.put("PGPASSWORD", password);
        }
        env.put("PGSSLMODE", tls.sslmode());
        if (tls.rootCert() != null) {
            env.put("PGSSLROOTCERT", tls.rootCert());
        }
        return env;
    }
}
