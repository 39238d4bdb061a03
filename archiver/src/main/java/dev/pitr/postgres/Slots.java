package dev.pitr.postgres;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** The physical replication slot that keeps the primary from recycling WAL capture has not received yet. */
public final class Slots {

  private Slots() {}

  public static boolean exists(Primary primary, String slot) {
    try (Connection c = primary.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT slot_type FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return false;
        }
        if (!"physical".equals(rs.getString(1))) {
          throw new PitrException(
              ErrorCode.CHECK_FAILED,
              "replication slot " + slot + " exists but is " + rs.getString(1),
              "drop it or set wal.slot to another name");
        }
        return true;
      }
    } catch (SQLException e) {
      throw failed(primary, e);
    }
  }

  /** Creates the slot, reserving WAL from now on; a no-op when it already exists. */
  public static boolean ensure(Primary primary, String slot) {
    if (exists(primary, slot)) {
      return false;
    }
    try (Connection c = primary.connect();
        PreparedStatement ps = c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
      ps.setString(1, slot);
      ps.execute();
      return true;
    } catch (SQLException e) {
      if ("42710".equals(e.getSQLState())) {
        return false; // created concurrently
      }
      throw failed(primary, e);
    }
  }

  private static PitrException failed(Primary primary, SQLException e) {
    return new PitrException(
        ErrorCode.CHECK_FAILED,
        "cannot manage replication slots on " + primary.describe() + ": " + e.getMessage(),
        "the role needs the REPLICATION attribute (or superuser)",
        e);
  }
}
