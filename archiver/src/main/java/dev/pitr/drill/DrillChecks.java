package dev.pitr.drill;

import dev.pitr.catalog.DrillRecord;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks of a drill's restored server, in order: {@code amcheck} on every database that allows connections, then
 * the operator's {@link SqlCheck}s. Each gives one {@link DrillRecord.Check}; a check that cannot run (no login, SQL
 * that fails) fails.
 */
final class DrillChecks {

    private final ScratchServer server;
    private final boolean amcheck;
    private final PrintWriter log;

    DrillChecks(ScratchServer server, boolean amcheck, PrintWriter log) {
        this.server = server;
        this.amcheck = amcheck;
        this.log = log;
    }

    List<DrillRecord.Check> run(List<SqlCheck> sqlChecks) {
        List<DrillRecord.Check> out = new ArrayList<>();
        ScratchServer.Answer dbs = server.query(
                "template1", "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn ORDER BY datname", false);
        if (!dbs.ok()) {
            out.add(say(new DrillRecord.Check(
                    "login",
                    false,
                    "cannot log in to the restored server (as drill.user) to check it: " + dbs.output())));
            return out;
        }
        if (amcheck) {
            for (String db : dbs.output().lines().filter(l -> !l.isEmpty()).toList()) {
                out.add(say(amcheck(db)));
            }
        }
        for (SqlCheck c : sqlChecks) {
            out.add(say(sql(c)));
        }
        return out;
    }

    private DrillRecord.Check amcheck(String db) {
        String name = "amcheck " + db;
        ScratchServer.Answer available = server.query(
                db, "SELECT pg_catalog.count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'amcheck'", false);
        if (!available.ok()) {
            return new DrillRecord.Check(name, false, available.output());
        }
        if (available.output().equals("0")) {
            return new DrillRecord.Check(name, true, "not checked: the amcheck extension is not installed");
        }
        // in the scratch copy only, which is thrown away; a schema of its own, new, so none made in production waits
        // there with functions of the same name
        byte[] token = new byte[6];
        new java.security.SecureRandom().nextBytes(token);
        String schemaName = "pitr_drill_" + java.util.HexFormat.of().formatHex(token);
        ScratchServer.Answer schema = server.query(
                db,
                "CREATE SCHEMA " + schemaName + "; CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA " + schemaName + ";"
                        + " SELECT pg_catalog.quote_ident(n.nspname)"
                        + " FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
                        + " WHERE e.extname = 'amcheck'",
                false);
        if (!schema.ok() || schema.output().isEmpty()) {
            return new DrillRecord.Check(name, false, "cannot create the amcheck extension: " + schema.output());
        }
        // every B-tree index with storage that is ready and valid, one row each
        ScratchServer.Answer checked = server.query(
                db,
                "SELECT " + schema.output()
                        + ".bt_index_check(c.oid::pg_catalog.regclass), c.oid::pg_catalog.regclass::pg_catalog.text"
                        + " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
                        + " JOIN pg_catalog.pg_am a ON a.oid = c.relam"
                        + " WHERE a.amname = 'btree' AND c.relkind = 'i' AND c.relpersistence <> 't'"
                        + " AND i.indisready AND i.indisvalid ORDER BY c.oid",
                false);
        if (!checked.ok()) {
            return new DrillRecord.Check(name, false, checked.output());
        }
        long indexes = checked.output().lines().filter(l -> !l.isEmpty()).count();
        return new DrillRecord.Check(name, true, indexes + " B-tree index(es) checked");
    }

    private DrillRecord.Check sql(SqlCheck c) {
        ScratchServer.Answer a = server.query(c.database(), c.sql(), true);
        if (!a.ok()) {
            return new DrillRecord.Check(c.name(), false, a.output());
        }
        if (c.expect() != null && !c.expect().strip().equals(a.output())) {
            return new DrillRecord.Check(
                    c.name(), false, "expected '" + c.expect().strip() + "', got '" + a.output() + "'");
        }
        return new DrillRecord.Check(c.name(), true, "got '" + a.output() + "'");
    }

    /** The most of a check's detail kept: psql's output is the database's data, shown in status and stored. */
    static final int DETAIL_CHARS = 500;

    private DrillRecord.Check say(DrillRecord.Check full) {
        DrillRecord.Check c = full.detail() != null && full.detail().length() > DETAIL_CHARS
                ? new DrillRecord.Check(
                        full.name(), full.passed(), full.detail().substring(0, DETAIL_CHARS) + " ...")
                : full;
        synchronized (log) {
            log.println("  " + (c.passed() ? "ok     " : "FAILED ") + c.name() + ": " + c.detail());
            log.flush();
        }
        return c;
    }
}
