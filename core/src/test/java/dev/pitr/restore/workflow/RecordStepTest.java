package dev.pitr.restore.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.DrillRecord;
import dev.pitr.catalog.RecoveryTiming;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.catalog.SqliteCatalog;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An execution that ends with no Catch to record it is recorded from its status change event. */
class RecordStepTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-06T14:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    /** The event EventBridge delivers, with the execution's input as the string Step Functions gives. */
    static ObjectNode ended(String status, String name, String input) {
        ObjectNode event = RestoreJob.JSON.createObjectNode().put("detail-type", RecordStep.EXECUTION_STATUS_CHANGE);
        ObjectNode detail = event.putObject("detail")
                .put("status", status)
                .put("name", name)
                .put("executionArn", "arn:aws:states:us-east-1:1:execution:restore:" + name);
        if (input != null) {
            detail.put("input", input);
        }
        return event;
    }

    private static RestoreRecord only(Catalog c) {
        assertEquals(1, c.restores().size(), c.restores().toString());
        return c.restores().get(0);
    }

    @Test
    void aTimedOutExecutionIsRecordedFailedUnderTheRequestsId() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            String input = "{\"request\": {\"id\": \"r-42\", \"target\": {\"kind\": \"latest\"}}}";
            RecordStep.executionEnded(c, ended("TIMED_OUT", "exec-1", input), CLOCK);
            RestoreRecord r = only(c);
            assertEquals("r-42", r.id());
            assertEquals("failed", r.outcome());
            assertEquals("States.TIMED_OUT", r.error());
            assertEquals(
                    "the execution arn:aws:states:us-east-1:1:execution:restore:exec-1 ended TIMED_OUT before a step"
                            + " could record it",
                    r.cause());
        }
    }

    @Test
    void anAbortedExecutionKeepsTheProgressTheAgentRecordedAndIsNamedByItsNameWithoutInput() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            c.recordRestore(new RestoreRecord(
                    "r-7", CLOCK.instant(), "replaying", "{\"kind\":\"latest\"}", "s1", 1L, "0/3000000", null, null));
            RecordStep.executionEnded(c, ended("ABORTED", "r-7", null), CLOCK);
            RestoreRecord r = only(c);
            assertEquals("failed", r.outcome());
            assertEquals("States.ABORTED", r.error());
            assertEquals("0/3000000", r.stoppedAt());
            assertEquals("s1", r.snapshotId());
        }
    }

    @Test
    void anOutcomeAStepRecordedStays() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            RestoreRecord caught = new RestoreRecord(
                    "r-9", CLOCK.instant(), "failed", null, null, null, null, "pitr.WalGap", "segment 5 is missing");
            c.recordRestore(caught);
            RecordStep.executionEnded(c, ended("FAILED", "r-9", "{\"request\": {\"id\": \"r-9\"}}"), CLOCK);
            assertEquals(caught, only(c));
        }
    }

    /** Record's input for a drill the agent restored and checked, as the state machine passes it. */
    static ObjectNode drillRestored(boolean secondCheckPasses) {
        ObjectNode in = RestoreJob.JSON.createObjectNode().put("outcome", "restored");
        in.putObject("request")
                .put("id", "drill-7")
                .put("drill", true)
                .putObject("target")
                .put("kind", "random");
        in.putObject("plan")
                .put("target", "time 2026-12-06 13:00:00.000000+00")
                .put("snapshot", "20261206T120000Z")
                .put("plannedAt", "2026-12-06T13:58:00Z");
        // by the agent's clock: from PrepareTarget's start to the server verified, 150 s
        in.putObject("prepared").put("agent", "host-a").put("startedAt", "2026-12-06T13:58:00Z");
        in.putObject("snapshot").put("files", 900).put("millis", 40_000).put("bytes", 4_000_000_000L);
        in.putObject("replay")
                .put("millis", 50_000)
                .put("bytes", 1_000_000_000L)
                .put("restoredAt", "2026-12-06T14:00:30Z");
        var checks = in.putObject("verify").put("state", "promoted").putArray("checks");
        checks.addObject().put("name", "amcheck postgres").put("passed", true).put("detail", "12 B-tree index(es)");
        checks.addObject()
                .put("name", "orders")
                .put("passed", secondCheckPasses)
                .put("detail", secondCheckPasses ? "got 't'" : "expected 't', got 'f'");
        in.put("startedAt", "2026-12-06T13:57:30Z");
        return in;
    }

    @Test
    void aDrillTheAgentRestoredAndCheckedIsRecordedAsADrillWithItsTiming() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            RecordStep.run(c, drillRestored(true), CLOCK);
            DrillRecord d = c.drill("drill-7").orElseThrow();
            assertTrue(d.passed(), d.toString());
            assertEquals(Instant.parse("2026-12-06T13:57:30Z"), d.startedAt());
            assertEquals(CLOCK.instant(), d.finishedAt());
            assertEquals("time 2026-12-06 13:00:00.000000+00", d.target());
            assertEquals("20261206T120000Z", d.snapshotId());
            // the total is the agent's, from PrepareTarget's start to the restored server: no wait, no checks
            assertEquals(new RecoveryTiming(40_000, 4_000_000_000L, 50_000, 1_000_000_000L, 150_000), d.timing());
            assertEquals(2, d.checks().size());
            assertEquals(null, d.error());
            // a drill is not a restore
            assertTrue(c.restores().isEmpty());
        }
    }

    @Test
    void aDrillWithAFailedCheckFailsWithTheCheckAsItsCause() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            RecordStep.run(c, drillRestored(false), CLOCK);
            DrillRecord d = c.drill("drill-7").orElseThrow();
            assertFalse(d.passed());
            assertEquals("DRILL_FAILED", d.error());
            assertEquals("checks failed: orders: expected 't', got 'f'", d.cause());
            assertEquals(150_000, d.timing().totalMillis());
        }
    }

    @Test
    void aDrillWhoseVerifyReturnedNoCheckedServerFails() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            ObjectNode in = drillRestored(true);
            ((ObjectNode) in.get("verify")).remove("checks");
            RecordStep.run(c, in, CLOCK);
            DrillRecord d = c.drill("drill-7").orElseThrow();
            assertFalse(d.passed());
            assertTrue(d.cause().startsWith("checks failed: verify: no promoted server"), d.cause());
            ObjectNode paused = drillRestored(true);
            ((ObjectNode) paused.get("verify")).put("state", "paused");
            RecordStep.run(c, paused, CLOCK);
            assertFalse(c.drill("drill-7").orElseThrow().passed());
        }
    }

    @Test
    void aDrillWhoseStepFailedIsRecordedFailedWithTheErrorCode() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            ObjectNode in = RestoreJob.JSON.createObjectNode().put("outcome", "failed");
            in.putObject("request")
                    .put("id", "drill-8")
                    .put("drill", true)
                    .putObject("target")
                    .put("kind", "random");
            in.putObject("failure")
                    .put("Error", RestoreException.class.getName())
                    .put("Cause", "restore-failed: recovery ended at 0/5000000, before the end of the planned WAL");
            in.put("startedAt", "2026-12-06T13:59:00Z");
            RecordStep.run(c, in, CLOCK);
            DrillRecord d = c.drill("drill-8").orElseThrow();
            assertFalse(d.passed());
            assertEquals("RESTORE_FAILED", d.error());
            assertTrue(d.cause().startsWith("restore-failed: recovery ended"), d.cause());
            assertEquals("random", d.target());
            assertEquals(null, d.timing());
            assertEquals(Instant.parse("2026-12-06T13:59:00Z"), d.startedAt());
            assertEquals(Optional.of(d), c.latestDrill(false));
        }
    }

    @Test
    void aDrillWhoseExecutionEndedUnrecordedIsRecordedFailedOnceAndAStepsRecordStays() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            String input = "{\"request\": {\"id\": \"drill-9\", \"drill\": true, \"target\": {\"kind\": \"random\"}}}";
            ObjectNode event = ended("TIMED_OUT", "exec-9", input);
            ((ObjectNode) event.get("detail"))
                    .put("startDate", Instant.parse("2026-12-06T12:00:00Z").toEpochMilli());
            RecordStep.executionEnded(c, event, CLOCK);
            DrillRecord d = c.drill("drill-9").orElseThrow();
            assertFalse(d.passed());
            assertEquals("States.TIMED_OUT", d.error());
            assertEquals(Instant.parse("2026-12-06T12:00:00Z"), d.startedAt());
            assertTrue(c.restores().isEmpty());
            // a drill a step recorded is not replaced
            RecordStep.run(c, drillRestored(true), CLOCK);
            ObjectNode same = ended(
                    "FAILED", "exec-7", "{\"request\": " + drillRestored(true).get("request") + "}");
            ((ObjectNode) same.get("detail"))
                    .put("startDate", Instant.parse("2026-12-06T13:57:30Z").toEpochMilli());
            RecordStep.executionEnded(c, same, CLOCK);
            assertTrue(c.drill("drill-7").orElseThrow().passed());
            // but one recorded under the same id by an earlier execution is
            ObjectNode later = ended(
                    "ABORTED", "exec-7b", "{\"request\": " + drillRestored(true).get("request") + "}");
            ((ObjectNode) later.get("detail"))
                    .put("startDate", Instant.parse("2026-12-06T13:59:00Z").toEpochMilli());
            RecordStep.executionEnded(c, later, CLOCK);
            assertEquals("States.ABORTED", c.drill("drill-7").orElseThrow().error());
            assertTrue(c.restores().isEmpty());
        }
    }

    @Test
    void aRemoteRestoreRecordsWhatItsStepsMeasured() {
        try (Catalog c = SqliteCatalog.open(dir.resolve("c.db"))) {
            ObjectNode in = drillRestored(true);
            ((ObjectNode) in.get("request"))
                    .put("id", "r-10")
                    .put("drill", false)
                    .putObject("target")
                    .put("kind", "latest");
            RecordStep.run(c, in, CLOCK);
            RestoreRecord r = only(c);
            assertEquals("restored", r.outcome());
            assertEquals(new RecoveryTiming(40_000, 4_000_000_000L, 50_000, 1_000_000_000L, 150_000), r.timing());
        }
    }
}
