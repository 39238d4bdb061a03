package dev.pitr.check;

import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.config.RepositorySetup;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Primary;
import dev.pitr.postgres.Slots;
import dev.pitr.storage.Storage;
import dev.pitr.wal.WalFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The start-up checks: everything capture, snapshots and restores rely on, each reported with what is wrong and how
 * to fix it. With {@code fix}, the one thing it may change, the replication slot, is created.
 */
public final class CheckService {

    /** One check's outcome; {@code code} says which error a failure is. */
    public record Result(String name, boolean ok, String detail, String hint, ErrorCode code) {
        static Result ok(String name, String detail) {
            return new Result(name, true, detail, null, null);
        }

        static Result fail(String name, String detail, String hint, ErrorCode code) {
            return new Result(name, false, detail, hint, code);
        }
    }

    private final Config config;

    public CheckService(Config config) {
        this.config = config;
    }

    public List<Result> run(boolean fix) {
        List<Result> out = new ArrayList<>();
        int serverMajor = checkPrimary(out, fix);
        checkStandby(out);
        checkTools(out, serverMajor);
        checkLocal(out, fix);
        return out;
    }

    private int checkPrimary(List<Result> out, boolean fix) {
        Primary primary;
        try {
            primary = Primary.from(config);
        } catch (PitrException e) {
            out.add(Result.fail("primary", e.getMessage(), e.hint(), e.code()));
            return -1;
        }
        String slot = config.require(Key.WAL_SLOT);
        try (Connection c = primary.connect();
                Statement s = c.createStatement()) {
            int version = Integer.parseInt(one(s, "SHOW server_version_num"));
            out.add(Result.ok("primary", "connected to " + primary.describe() + " (server " + version + ")"));
            if (WalFormat.ofMajor(version / 10000).isEmpty()) {
                out.add(Result.fail(
                        "server version",
                        "PostgreSQL " + version / 10000 + " is not supported: pitr reads the WAL of PostgreSQL "
                                + WalFormat.supportedRange() + " only, and would archive this server's as unreadable",
                        "run pitr against a PostgreSQL " + WalFormat.supportedRange() + " server; capture and"
                                + " 'wal push' refuse this server's WAL (unsupported-version)",
                        ErrorCode.CHECK_FAILED));
            }
            if (config.require(Key.CATALOG_TYPE).equals("dynamodb")) {
                String sysid = one(s, "SELECT system_identifier FROM pg_control_system()");
                String configured = config.get(Key.CATALOG_CLUSTER).orElse("");
                if (!sysid.equals(configured)) {
                    out.add(Result.fail(
                            "cluster",
                            "catalog.cluster is '" + configured + "' but the primary's system identifier is " + sysid,
                            "set catalog.cluster: '" + sysid + "'; it keeps this cluster's catalog apart from others",
                            ErrorCode.CONFIG_INVALID));
                } else {
                    out.add(Result.ok("cluster", "system identifier " + sysid + " matches catalog.cluster"));
                }
            }
            String walLevel = one(s, "SHOW wal_level");
            if (walLevel.equals("minimal")) {
                out.add(Result.fail(
                        "wal_level",
                        "wal_level is minimal",
                        "set wal_level = replica in postgresql.conf and restart",
                        ErrorCode.CHECK_FAILED));
            } else {
                out.add(Result.ok("wal_level", walLevel));
            }
            out.add(incrementals(s, version / 10000));
            int senders = Integer.parseInt(one(s, "SHOW max_wal_senders"));
            int usedSenders = Integer.parseInt(one(s, "SELECT count(*) FROM pg_stat_replication"));
            if (senders - usedSenders < 1) {
                out.add(Result.fail(
                        "max_wal_senders",
                        usedSenders + " of " + senders + " WAL senders in use",
                        "raise max_wal_senders (needs a restart); capture and each snapshot use one",
                        ErrorCode.CHECK_FAILED));
            } else {
                out.add(Result.ok("max_wal_senders", usedSenders + " of " + senders + " in use"));
            }
            int slots = Integer.parseInt(one(s, "SHOW max_replication_slots"));
            int usedSlots = Integer.parseInt(one(s, "SELECT count(*) FROM pg_replication_slots"));
            boolean exists = Slots.exists(primary, slot);
            if (!exists && slots - usedSlots < 1) {
                out.add(Result.fail(
                        "max_replication_slots",
                        usedSlots + " of " + slots + " slots in use",
                        "raise max_replication_slots (needs a restart) or drop an unused slot",
                        ErrorCode.CHECK_FAILED));
            } else {
                out.add(Result.ok("max_replication_slots", usedSlots + " of " + slots + " in use"));
            }
            if (!exists && fix) {
                Slots.ensure(primary, slot);
                out.add(Result.ok("slot", "created physical replication slot " + slot));
            } else if (!exists) {
                out.add(Result.fail(
                        "slot",
                        "replication slot " + slot + " does not exist",
                        "run 'pitr check --fix' to create it",
                        ErrorCode.CHECK_FAILED));
            } else {
                out.add(Result.ok("slot", slot + " exists"));
            }
            return version / 10000;
        } catch (PitrException e) {
            out.add(Result.fail("primary", e.getMessage(), e.hint(), e.code()));
        } catch (SQLException e) {
            out.add(Result.fail(
                    "primary",
                    "query failed: " + e.getMessage(),
                    "the role needs to read pg_settings and pg_stat_replication",
                    ErrorCode.CHECK_FAILED));
        }
        return -1;
    }

    /**
     * Whether the server allows incremental snapshots: block-level ones need every page change to move the page's LSN
     * (data checksums or {@code wal_log_hints}); PostgreSQL's own (17 and later) need {@code summarize_wal}. A failure
     * only when {@code snapshot.full_every} asks for incrementals.
     */
    private Result incrementals(Statement s, int major) throws SQLException {
        boolean hints = one(s, "SHOW data_checksums").equals("on")
                || one(s, "SHOW wal_log_hints").equals("on");
        boolean summaries = major >= 17 && one(s, "SHOW summarize_wal").equals("on");
        String native17 = major < 17
                ? ""
                : summaries
                        ? "; summarize_wal is on"
                        : "; summarize_wal is off (PostgreSQL's own incremental backups need it on)";
        String kind = config.require(Key.SNAPSHOT_INCREMENTAL_KIND);
        if (summaries && !kind.equals("block")) {
            return Result.ok(
                    "incremental",
                    "PostgreSQL's own incrementals possible (summarize_wal on)" + (hints ? "; block-level too" : ""));
        }
        if (hints && !kind.equals("native")) {
            return Result.ok(
                    "incremental", "block-level incrementals possible (data checksums or wal_log_hints on)" + native17);
        }
        if (kind.equals("native")) {
            String why = "snapshot.incremental_kind is native, but PostgreSQL's own incrementals need 17 or later with"
                    + " summarize_wal = on: every snapshot is a full";
            String fix = "set summarize_wal = on (a reload), or snapshot.incremental_kind: auto";
            return config.requireInt(Key.SNAPSHOT_FULL_EVERY) > 0
                    ? Result.fail("incremental", why, fix, ErrorCode.CHECK_FAILED)
                    : Result.ok("incremental", why + " (" + fix + ")");
        }
        String detail = "data checksums and wal_log_hints are off: every snapshot is a full" + native17;
        String hint = "set wal_log_hints = on in postgresql.conf and restart, so that a page whose hint bits alone"
                + " change gets a new LSN";
        return config.requireInt(Key.SNAPSHOT_FULL_EVERY) > 0
                ? Result.fail(
                        "incremental",
                        detail + ", though snapshot.full_every asks for incrementals",
                        hint,
                        ErrorCode.CHECK_FAILED)
                : Result.ok("incremental", detail + " (" + hint + ")");
    }

    private void checkStandby(List<Result> out) {
        Optional<Primary> standby = Primary.standbyFrom(config);
        if (standby.isEmpty()) {
            return;
        }
        try (Connection c = standby.get().connect();
                Statement s = c.createStatement()) {
            boolean inRecovery = Boolean.parseBoolean(one(s, "SELECT pg_is_in_recovery()::text"));
            String status = one(s, "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')");
            if (!inRecovery || !status.equals("streaming")) {
                out.add(Result.fail(
                        "standby",
                        standby.get().describe() + " is "
                                + (inRecovery ? "not streaming (" + status + ")" : "not in recovery"),
                        "check primary_conninfo on the standby and its log",
                        ErrorCode.CHECK_FAILED));
            } else {
                out.add(Result.ok("standby", standby.get().describe() + " is streaming"));
            }
        } catch (PitrException e) {
            out.add(Result.fail(
                    "standby", e.getMessage(), "check standby.host and standby.port", ErrorCode.CHECK_FAILED));
        } catch (SQLException e) {
            out.add(Result.fail("standby", e.getMessage(), "check the standby's log", ErrorCode.CHECK_FAILED));
        }
    }

    /**
     * The client programs capture, snapshots and restores run must serve the server's version: {@code pg_receivewal}
     * and {@code pg_basebackup} refuse a server newer than themselves, and {@code pg_verifybackup} cannot read a newer
     * version's manifest. A newer client serves an older server.
     */
    private void checkTools(List<Result> out, int serverMajor) {
        PgTools configured = PgTools.from(config);
        if (serverMajor < 0 && config.require(Key.POSTGRES_BIN_DIR).contains(PgTools.MAJOR)) {
            out.add(Result.fail(
                    "client programs",
                    "postgres.bin_dir (" + config.require(Key.POSTGRES_BIN_DIR) + ") follows the server's version,"
                            + " which is not known while the server cannot be reached",
                    "fix the connection to the primary first",
                    ErrorCode.CHECK_FAILED));
            return;
        }
        PgTools tools = serverMajor < 0 ? configured : configured.forMajor(serverMajor);
        for (String program : List.of("pg_receivewal", "pg_basebackup", "pg_verifybackup")) {
            try {
                int major = tools.majorVersion(program);
                if (serverMajor > 0 && major < serverMajor) {
                    out.add(Result.fail(
                            program,
                            tools.path(program) + " is version " + major + ", older than the server (" + serverMajor
                                    + "), which it cannot serve",
                            configured.installHint(serverMajor, "client"),
                            ErrorCode.TOOL_MISSING));
                } else {
                    out.add(Result.ok(
                            program,
                            "version " + major + " in "
                                    + Path.of(tools.path(program)).getParent()));
                }
            } catch (PitrException e) {
                out.add(Result.fail(
                        program,
                        e.getMessage(),
                        serverMajor > 0 ? configured.installHint(serverMajor, "client") : e.hint(),
                        e.code()));
            }
        }
    }

    private void checkLocal(List<Result> out, boolean fix) {
        try {
            Path spool = config.requirePath(Key.WAL_SPOOL_DIR);
            dev.pitr.storage.OwnerOnly.directory(spool);
            Path probe = Files.createTempFile(spool, ".pitr-check", "");
            Files.delete(probe);
            out.add(Result.ok("spool", spool + " is writable"));
        } catch (PitrException e) {
            out.add(Result.fail("spool", e.getMessage(), e.hint(), e.code()));
        } catch (IOException e) {
            out.add(Result.fail(
                    "spool",
                    "spool is not writable: " + e.getMessage(),
                    "fix wal.spool_dir or its permissions",
                    ErrorCode.LOCAL_IO));
        }
        try {
            RepositorySetup.ensure(config, fix).forEach(line -> out.add(Result.ok("repository", line)));
        } catch (PitrException e) {
            out.add(Result.fail("repository", e.getMessage(), e.hint(), e.code()));
            return;
        }
        try (Repository repo = Repository.open(config, false)) {
            repo.storage().put(Storage.PROBE_KEY, o -> o.write(1));
            repo.storage().delete(Storage.PROBE_KEY);
            out.add(Result.ok("storage", repo.storage().describe() + " is writable"));
            int snapshots = repo.catalog().snapshots().size();
            out.add(Result.ok("catalog", repo.catalog().describe() + " holds " + snapshots + " snapshot(s)"));
        } catch (PitrException e) {
            out.add(Result.fail("storage/catalog", e.getMessage(), e.hint(), e.code()));
        }
    }

    private static String one(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
