package dev.pitr.restore.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.CatalogException;
import dev.pitr.catalog.SegmentIndex;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.catalog.SqliteCatalog;
import dev.pitr.error.PitrException;
import dev.pitr.restore.RestoreRequest;
import dev.pitr.restore.RestoreTarget;
import dev.pitr.restore.TargetTimeline;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Plan and Record steps over an embedded catalog holding one snapshot and segments 2-5 of timeline 1. */
class PlanStepTest {

    static final long SEG = 16L << 20;
    static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    static final TimelineId ONE = TimelineId.of(1);

    @TempDir
    Path dir;

    Catalog catalog;

    @BeforeEach
    void setUp() {
        catalog = SqliteCatalog.open(dir.resolve("catalog.db"));
        for (long n = 2; n <= 5; n++) {
            SegmentName name = new SegmentName(ONE, n, SEG);
            catalog.recordSegment(new SegmentRecord(
                    name,
                    SEG,
                    SEG / 8,
                    "sha" + n,
                    "wal/" + name.fileName(),
                    null,
                    T0.plusSeconds(10 * n + 10),
                    new SegmentIndex(
                            T0.plusSeconds(10 * n),
                            T0.plusSeconds(10 * n + 9),
                            100 * n,
                            100 * n + 99,
                            100,
                            List.of(),
                            null)));
        }
        catalog.createSnapshot(new SnapshotRecord(
                new SnapshotId("20261122T100021Z"),
                "s",
                SnapshotRecord.Status.COMPLETE,
                ONE,
                new Lsn(2 * SEG + 40),
                new Lsn(2 * SEG + 4096),
                T0.plusSeconds(21),
                T0.plusSeconds(23),
                new SegmentName(ONE, 2, SEG).walFileName(),
                new SegmentName(ONE, 2, SEG).walFileName(),
                5000,
                1000,
                "x",
                "snapshots/s",
                null,
                null,
                null));
    }

    @AfterEach
    void tearDown() {
        catalog.close();
    }

    ObjectNode input(RestoreTarget t) {
        ObjectNode in = RestoreJob.JSON.createObjectNode();
        in.set(
                "request",
                RestoreJob.requestJson(
                        "exec-1",
                        new RestoreRequest(
                                t,
                                new TargetTimeline.Latest(),
                                true,
                                Path.of("/srv/restore"),
                                5499,
                                RestoreRequest.Action.PAUSE,
                                null,
                                false)));
        return in;
    }

    @Test
    void aReachableTargetIsPlanned() {
        JsonNode plan = PlanStep.run(catalog, input(new RestoreTarget.Time(T0.plusSeconds(35))));
        assertTrue(plan.get("reachable").asBoolean(), plan.toString());
        assertEquals("20261122T100021Z", plan.get("snapshot").asText());
        assertEquals(
                new SegmentName(ONE, 3, SEG).fileName(), plan.get("lastSegment").asText());
        assertEquals("pause", plan.get("settings").get("recovery_target_action").asText());
        assertEquals("1", plan.get("settings").get("recovery_target_timeline").asText());
    }

    @Test
    void anUnreachableTargetIsAnAnswerWithTheWindowNotAFailure() {
        JsonNode plan = PlanStep.run(catalog, input(new RestoreTarget.Time(T0.plusSeconds(3600))));
        assertFalse(plan.get("reachable").asBoolean());
        assertEquals("target-outside-window", plan.get("code").asText());
        assertTrue(plan.get("cause").asText().contains("restorable window on timeline 1"), plan.toString());
    }

    @Test
    void anUnreachableCatalogIsTransientSoTheStateMachineRetries() {
        Catalog down = (Catalog) java.lang.reflect.Proxy.newProxyInstance(
                Catalog.class.getClassLoader(), new Class<?>[] {Catalog.class}, (proxy, method, args) -> {
                    throw new CatalogException("connection refused", null);
                });
        TransientException e =
                assertThrows(TransientException.class, () -> PlanStep.run(down, input(new RestoreTarget.Latest())));
        assertTrue(e.getMessage().startsWith("catalog-unavailable: connection refused"), e.getMessage());
    }

    @Test
    void requestsRoundTripThroughJson() {
        for (RestoreTarget t : List.of(
                new RestoreTarget.Time(T0),
                new RestoreTarget.AtLsn(Lsn.parse("0/3000028")),
                new RestoreTarget.Xid(1234),
                new RestoreTarget.Named("before upgrade"),
                new RestoreTarget.Immediate(),
                new RestoreTarget.Latest())) {
            RestoreRequest r = new RestoreRequest(
                    t,
                    new TargetTimeline.Exactly(TimelineId.of(3)),
                    false,
                    Path.of("/d"),
                    5500,
                    RestoreRequest.Action.SHUTDOWN,
                    new SnapshotId("20261122T100021Z"),
                    true);
            assertEquals(r, RestoreJob.request(RestoreJob.requestJson("x", r)));
        }
    }

    @Test
    void theOutcomeIsRecordedUnderTheRequestsId() {
        ObjectNode in = input(new RestoreTarget.Latest());
        in.put("outcome", "failed");
        in.putObject("failure")
                .put("Error", TargetUnreachableException.class.getName())
                .put("Cause", "outside the window");
        RecordStep.run(catalog, in, Clock.fixed(T0, ZoneOffset.UTC));
        var r = catalog.restores().get(0);
        assertEquals("exec-1", r.id());
        assertEquals("failed", r.outcome());
        assertEquals("dev.pitr.restore.workflow.TargetUnreachableException", r.error());
        assertEquals("outside the window", r.cause());
    }

    /** What a scheduled drill starts its execution with: an id, and nothing but {@code drill} and a random target. */
    static ObjectNode drillInput(String id) {
        ObjectNode in = RestoreJob.JSON.createObjectNode();
        ObjectNode request = in.putObject("request").put("id", id).put("drill", true);
        request.putObject("target").put("kind", "random");
        // what a drill may not choose, ignored
        request.put("targetDir", "/etc").put("force", true).put("action", "pause");
        return in;
    }

    @Test
    void aDrillsRandomTargetIsPickedInTheWindowAndEveryLaterStepRestoresToIt() {
        for (int i = 0; i < 20; i++) {
            ObjectNode in = drillInput("drill-" + i);
            JsonNode plan = PlanStep.run(catalog, in, Clock.fixed(T0.plusSeconds(600), ZoneOffset.UTC));
            assertTrue(plan.get("reachable").asBoolean(), plan.toString());
            Instant picked = Instant.parse(plan.path("picked").path("time").asText());
            // from the snapshot's consistency to the last commit the index knows
            assertTrue(!picked.isBefore(T0.plusSeconds(23)) && picked.isBefore(T0.plusSeconds(59)), picked.toString());
            assertEquals(T0.plusSeconds(600).toString(), plan.get("plannedAt").asText());
            assertEquals(
                    "promote",
                    plan.get("settings").get("recovery_target_action").asText());
            RestoreRequest r = RestoreJob.request(in.get("request"), plan);
            assertEquals(new RestoreTarget.Time(picked), r.target());
            assertEquals(RestoreRequest.Action.PROMOTE, r.action());
            assertEquals(null, r.targetDir());
            assertFalse(r.force());
        }
    }

    @Test
    void aRandomTargetIsRefusedOutsideADrillAndBeforeItIsPicked() {
        ObjectNode notADrill = drillInput("r-1");
        ((ObjectNode) notADrill.get("request")).put("drill", false);
        RestoreException e = assertThrows(RestoreException.class, () -> PlanStep.run(catalog, notADrill));
        assertTrue(e.getMessage().startsWith("bad-target: malformed restore request"), e.getMessage());
        assertTrue(e.getMessage().contains("drills only"), e.getMessage());
        PitrException unpicked = assertThrows(
                PitrException.class, () -> RestoreJob.request(drillInput("d-1").get("request")));
        assertTrue(unpicked.getMessage().contains("the Plan state picks it"), unpicked.getMessage());
    }

    @Test
    void aDrillWhoseIdIsNotAPlainNameIsRefused() {
        for (String id : List.of("../../etc", "a/b", "", ".hidden", "x".repeat(65))) {
            RestoreException e = assertThrows(RestoreException.class, () -> PlanStep.run(catalog, drillInput(id)), id);
            assertTrue(e.getMessage().contains("a drill's id must be"), e.getMessage());
        }
        ObjectNode none = drillInput("x");
        ((ObjectNode) none.get("request")).remove("id");
        assertThrows(RestoreException.class, () -> PlanStep.run(catalog, none));
    }
}
