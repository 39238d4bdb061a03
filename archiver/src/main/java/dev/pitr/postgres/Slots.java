package dev.pitr.postgres;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineHistory;
import dev.pitr.wal.TimelineId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

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

    /** Bytes of WAL the slot holds back in {@code pg_wal}: from its restart point to the current insert position. */
    public static java.util.OptionalLong retainedBytes(Primary primary, String slot) {
        try (Connection c = primary.connect();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots"
                                + " WHERE slot_name = ? AND restart_lsn IS NOT NULL")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? java.util.OptionalLong.of(rs.getLong(1)) : java.util.OptionalLong.empty();
            }
        } catch (SQLException e) {
            throw failed(primary, e);
        }
    }

    /**
     * The segment that holds the slot's restart point, named on the timeline that point is on: where streaming must
     * start so that nothing the slot kept is skipped, as {@code READ_REPLICATION_SLOT} tells pg_receivewal from 15 on.
     * The server's timeline comes from {@code IDENTIFY_SYSTEM} and the point's from that timeline's history (a point
     * at a switch belongs to the newer timeline). Empty when the slot reserves no WAL (yet).
     */
    public static java.util.Optional<SegmentName> restartSegment(Primary primary, String slot, long segmentSize) {
        Lsn restart;
        try (Connection c = primary.connect();
                PreparedStatement ps = c.prepareStatement("SELECT restart_lsn::text FROM pg_replication_slots"
                        + " WHERE slot_name = ? AND restart_lsn IS NOT NULL")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return java.util.Optional.empty();
                }
                restart = Lsn.parse(rs.getString(1));
            }
        } catch (SQLException e) {
            throw failed(primary, e);
        }
        try (Connection c = primary.connectForReplication();
                Statement st = c.createStatement()) {
            TimelineId current;
            try (ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
                rs.next();
                current = TimelineId.of(rs.getLong("timeline"));
            }
            TimelineId at = current;
            if (current.value() > 1) {
                try (ResultSet rs = st.executeQuery("TIMELINE_HISTORY " + current.value())) {
                    rs.next();
                    at = TimelineHistory.parse(current, rs.getString("content")).timelineAt(restart);
                }
            }
            return java.util.Optional.of(SegmentName.containing(at, restart, segmentSize));
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

    /**
     * Keeps the slot on {@code server} if it is a standby, so that a promotion loses nothing. Replication slots do not
     * fail over in PostgreSQL 15: a promoted standby has none of the primary's slots, and it recycles WAL by its own
     * restartpoints. If capture is behind when the primary dies, the WAL between what capture received and the switch
     * point would exist only in the standby's pg_wal, for as long as the standby happens to keep it. So capture keeps a
     * slot of the same name on every standby: created when first seen (reserving WAL from the standby's last
     * restartpoint), and advanced only to what capture has archived ({@code archivedUpTo}, never past the standby's
     * replay point). After a promotion, the slot is already there: pg_receivewal reconnects to it, asks for the WAL
     * from where its spool ends, gets the rest of the old timeline up to the switch point and then the new timeline,
     * and the standby has kept all of it. Returns what it did, for the log, or null when there was nothing to do or
     * the server is not a standby.
     */
    public static String keepOnStandby(Primary server, String slot, Lsn archivedUpTo) {
        try (Connection c = server.connect();
                Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    return null;
                }
            }
            String did = null;
            if (!exists(server, slot)) {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
                    ps.setString(1, slot);
                    ps.execute();
                    did = "created replication slot " + slot + " on standby " + server.describe()
                            + ", so that a promotion keeps the WAL capture has not archived";
                }
            }
            if (archivedUpTo != null) {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT pg_replication_slot_advance(slot_name, least(?::pg_lsn, pg_last_wal_replay_lsn()))"
                                + " FROM pg_replication_slots WHERE slot_name = ? AND restart_lsn < least(?::pg_lsn, pg_last_wal_replay_lsn())")) {
                    ps.setString(1, archivedUpTo.toString());
                    ps.setString(2, slot);
                    ps.setString(3, archivedUpTo.toString());
                    ps.execute();
                }
            }
            return did;
        } catch (SQLException e) {
            throw failed(server, e);
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
