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

/** How to reach a server (the primary or the standby): JDBC for queries, libpq options for the client programs. */
public final class Primary {

  private final String host;
  private final int port;
  private final String user;
  private final String password;
  private final String dbname;

  public Primary(String host, int port, String user, String password, String dbname) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.dbname = dbname;
  }

  public static Primary from(Config c) {
    return new Primary(
        c.require(Key.PRIMARY_HOST),
        c.requireInt(Key.PRIMARY_PORT),
        c.require(Key.PRIMARY_USER),
        c.get(Key.PRIMARY_PASSWORD).orElse(null),
        c.require(Key.PRIMARY_DBNAME));
  }

  /** The configured standby, reached with the primary's role, if one is configured. */
  public static java.util.Optional<Primary> standbyFrom(Config c) {
    return c.get(Key.STANDBY_HOST)
        .map(
            h ->
                new Primary(
                    h, c.requireInt(Key.STANDBY_PORT), c.require(Key.PRIMARY_USER),
                    c.get(Key.PRIMARY_PASSWORD).orElse(null), c.require(Key.PRIMARY_DBNAME)));
  }

  public String describe() {
    return user + "@" + host + ":" + port + "/" + dbname;
  }

  public Connection connect() {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("connectTimeout", "10");
    p.setProperty("ApplicationName", "pitr");
    try {
      return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + dbname, p);
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
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new PitrException(
          ErrorCode.PRIMARY_UNREACHABLE, "query on " + describe() + " failed: " + e.getMessage(), "check the server log", e);
    }
  }

  /** The server's {@code wal_segment_size} in bytes (pg_settings reports bytes since PostgreSQL 11). */
  public long walSegmentSize() {
    return Long.parseLong(queryOne("SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'"));
  }

  /** {@code -h host -p port -U user}, for pg_receivewal and pg_basebackup. */
  public List<String> clientArgs() {
    return new ArrayList<>(List.of("-h", host, "-p", Integer.toString(port), "-U", user, "--no-password"));
  }

  /** The password goes through the environment, never the command line. */
  public Map<String, String> clientEnv() {
    Map<String, String> env = new HashMap<>();
    if (password != null) {
      env.put("PGPASSWORD", password);
    }
    return env;
  }
}
