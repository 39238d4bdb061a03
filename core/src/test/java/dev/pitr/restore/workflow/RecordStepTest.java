package dev.pitr.restore.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.catalog.SqliteCatalog;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
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
}
