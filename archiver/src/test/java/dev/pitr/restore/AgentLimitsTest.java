package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.restore.workflow.OtherHostException;
import dev.pitr.restore.workflow.RestoreException;
import dev.pitr.restore.workflow.RestoreJob;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent restores only where its own configuration allows, whatever an execution's input asks. */
class AgentLimitsTest {

    @TempDir
    Path dir;

    private ErrorCode refusal(AgentLimits limits, Path target, boolean force) {
        return assertThrows(PitrException.class, () -> limits.check(target, force))
                .code();
    }

    @Test
    void onlyAbsoluteDirectoriesUnderTheRootAndForceOnlyWhereAllowed() throws Exception {
        Path root = Files.createDirectories(dir.resolve("restores"));
        AgentLimits limits = new AgentLimits(root, false);
        assertDoesNotThrow(() -> limits.check(root.resolve("db 'one'"), false));
        assertDoesNotThrow(() -> limits.check(root.resolve("a/b/c"), false));
        assertEquals(ErrorCode.TARGET_DIR_REFUSED, refusal(limits, Path.of("restores/x"), false), "relative");
        assertEquals(ErrorCode.TARGET_DIR_REFUSED, refusal(limits, root, false), "the root itself");
        assertEquals(ErrorCode.TARGET_DIR_REFUSED, refusal(limits, dir.resolve("elsewhere"), false), "outside");
        assertEquals(
                ErrorCode.TARGET_DIR_REFUSED, refusal(limits, root.resolve("../restores-2/x"), false), "dot-dot out");
        assertEquals(ErrorCode.TARGET_DIR_REFUSED, refusal(limits, Path.of("/etc"), false));
        assertEquals(ErrorCode.TARGET_DIR_REFUSED, refusal(limits, root.resolve("x"), true), "force not allowed");
        assertDoesNotThrow(() -> new AgentLimits(root, true).check(root.resolve("x"), true));
    }

    @Test
    void aLinkUnderTheRootThatLeadsOutIsRefused() throws Exception {
        Path root = Files.createDirectories(dir.resolve("restores"));
        Path outside = Files.createDirectories(dir.resolve("precious"));
        Files.createSymbolicLink(root.resolve("link"), outside);
        AgentLimits limits = new AgentLimits(root, false);
        assertEquals(ErrorCode.TARGET_DIR_REFUSED, refusal(limits, root.resolve("link"), false));
        assertEquals(ErrorCode.TARGET_DIR_REFUSED, refusal(limits, root.resolve("link/deeper"), false));
    }

    @Test
    void anAgentWithoutARootRestoresNowhere() {
        PitrException e =
                assertThrows(PitrException.class, () -> new AgentLimits(null, true).check(dir.resolve("x"), false));
        assertEquals(ErrorCode.TARGET_DIR_REFUSED, e.code());
        assertTrue(e.hint().contains("agent.restore_root"), e.hint());
    }

    /** Refused before any step runs: a forced request outside the root leaves that directory as it was. */
    @Test
    void aRefusedStepTouchesNothing() throws Exception {
        Path root = Files.createDirectories(dir.resolve("restores"));
        Path precious = Files.createDirectories(dir.resolve("precious"));
        Files.writeString(precious.resolve("keep.txt"), "mine");
        ObjectNode input = RestoreJob.JSON.createObjectNode().put("step", "prepare-target");
        ObjectNode request = input.putObject("request").put("id", "r1");
        request.putObject("target").put("kind", "latest");
        request.put("timeline", "latest")
                .put("inclusive", true)
                .put("targetDir", precious.toString())
                .put("port", 5999)
                .put("action", "promote")
                .put("force", true);
        // no repository and no steps: anything past the check would fail otherwise than refused
        ActivitySteps steps = new ActivitySteps(null, null, new AgentLimits(root, true), "host-a");
        RestoreException e = assertThrows(RestoreException.class, () -> steps.run(input, () -> {}));
        assertTrue(e.getMessage().startsWith("target-dir-refused: "), e.getMessage());
        assertEquals("mine", Files.readString(precious.resolve("keep.txt")));
    }

    /** A later step of a restore another agent prepared is refused before anything is touched, to be handed out again. */
    @Test
    void aStepOfARestoreAnotherAgentPreparedIsLeftToIt() throws Exception {
        Path root = Files.createDirectories(dir.resolve("restores"));
        ObjectNode input =
                RestoreJob.JSON.createObjectNode().put("step", "replay").put("agent", "host-b");
        ObjectNode request = input.putObject("request").put("id", "r2");
        request.putObject("target").put("kind", "latest");
        request.put("timeline", "latest")
                .put("inclusive", true)
                .put("targetDir", root.resolve("db").toString())
                .put("port", 5999)
                .put("action", "promote")
                .put("force", false);
        ActivitySteps steps = new ActivitySteps(null, null, new AgentLimits(root, false), "host-a");
        OtherHostException e = assertThrows(OtherHostException.class, () -> steps.run(input, () -> {}));
        assertTrue(e.getMessage().contains("belongs to the agent on host-b"), e.getMessage());
    }

    /**
     * A drill names its directory from the agent's {@code drill.directory} and its id, never from the request; one that
     * exists already, a link put there included, is refused and left as it is.
     */
    @Test
    void aDrillGoesOnlyIntoANewDirectoryTheAgentNames() throws Exception {
        Path drills = Files.createDirectories(dir.resolve("drills"));
        Path precious = Files.createDirectories(dir.resolve("precious"));
        Files.writeString(precious.resolve("keep.txt"), "mine");
        Files.createSymbolicLink(drills.resolve("pitr-drill-1"), precious);
        ObjectNode input = RestoreJob.JSON.createObjectNode().put("step", "prepare-target");
        ObjectNode request = input.putObject("request").put("id", "drill-1").put("drill", true);
        request.putObject("target").put("kind", "latest");
        // what a drill may not choose, ignored
        request.put("targetDir", precious.toString()).put("force", true);
        input.putObject("plan").put("snapshotPlainBytes", 1);
        dev.pitr.config.Config config = dev.pitr.config.Config.of(
                dir.resolve("pitr.yaml"), java.util.Map.of(dev.pitr.config.Key.DRILL_DIRECTORY, drills.toString()));
        ActivitySteps steps = new ActivitySteps(
                null,
                null,
                new AgentLimits(null, false),
                "host-a",
                new dev.pitr.drill.DrillSteps(
                        config,
                        new dev.pitr.postgres.PgTools(Path.of("/nonexistent"), "postgres"),
                        new java.io.PrintWriter(java.io.Writer.nullWriter())));
        RestoreException e = assertThrows(RestoreException.class, () -> steps.run(input, () -> {}));
        assertTrue(e.getMessage().startsWith("target-dir-not-empty: the drill's scratch directory"), e.getMessage());
        assertTrue(Files.isSymbolicLink(drills.resolve("pitr-drill-1")));
        assertEquals("mine", Files.readString(precious.resolve("keep.txt")));
        // an agent whose configuration does not say agent.drills runs none
        ActivitySteps noDrills = new ActivitySteps(null, null, new AgentLimits(null, false), "host-a");
        ((ObjectNode) input.get("request")).put("id", "drill-2");
        RestoreException refused = assertThrows(RestoreException.class, () -> noDrills.run(input, () -> {}));
        assertTrue(
                refused.getMessage().startsWith("target-dir-refused: this agent runs no restore drills"),
                refused.getMessage());
        assertFalse(Files.exists(drills.resolve("pitr-drill-2")));
        // an id that is no plain name never becomes a path
        ((ObjectNode) input.get("request")).put("id", "../precious");
        RestoreException bad = assertThrows(RestoreException.class, () -> steps.run(input, () -> {}));
        assertTrue(bad.getMessage().contains("a drill's id must be"), bad.getMessage());
        assertEquals("mine", Files.readString(precious.resolve("keep.txt")));
    }
}
