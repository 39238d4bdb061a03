package dev.pitr.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.cli.Cli;
import dev.pitr.config.Repository;
import dev.pitr.status.Metrics;
import dev.pitr.status.StatusService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code pitr drill} on a real, encrypted archive of a real server: a drill to a time restores exactly the rows
 * committed by then (an operator's check counts them), passes amcheck, records its RTO and removes its scratch
 * directory; a drill picked at random restores from another snapshot than the last; a check that does not get what it
 * expects fails the drill; and after a segment is deleted from storage (the catalog still lists it) a drill through it
 * fails, which status and /metrics show.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DrillIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    ArchiveFixture fx;
    Path drills;
    Instant afterFirst;
    Instant afterThird;
    String firstDrillSnapshot;

    @BeforeAll
    void archive() throws Exception {
        fx = new ArchiveFixture("drill", ArchiveFixture.Backend.LOCAL, ArchiveFixture.Encryption.KEY_FILE);
        // scratch directories go where a name with a space and a quote lands
        drills = fx.base.resolve("drill's scratch");
        Files.createDirectories(drills);
        Files.writeString(
                fx.configFile,
                Files.readString(fx.configFile) + "drill:\n  directory: \"" + drills + "\"\n",
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
        fx.ok("check", "--fix");
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        fx.primary.execute("CREATE INDEX marker_batch ON marker (batch)");
        fx.ok("snapshot", "create");
        ArchiveFixture.insertMarkers(fx.primary, 1, 30, "a");
        Thread.sleep(50);
        afterFirst = Instant.now();
        Thread.sleep(50);
        ArchiveFixture.insertMarkers(fx.primary, 31, 60, "b");
        fx.switchAndAwaitArchived();
        fx.ok("snapshot", "create");
        ArchiveFixture.insertMarkers(fx.primary, 61, 90, "c");
        fx.switchAndAwaitArchived();
        ArchiveFixture.insertMarkers(fx.primary, 91, 120, "d");
        Thread.sleep(50);
        afterThird = Instant.now();
        Thread.sleep(50);
        ArchiveFixture.insertMarkers(fx.primary, 121, 130, "e");
        fx.switchAndAwaitArchived();
    }

    @AfterAll
    void tearDown() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    private JsonNode drill(int exitCode, Map<String, String> env, String... args) throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "drill";
        System.arraycopy(args, 0, all, 1, args.length);
        all[all.length - 1] = "--json";
        Cli.Run r = fx.cliWithEnv(env, all);
        assertEquals(exitCode, r.exitCode(), r.toString());
        // the scratch server is stopped and its directory gone, whatever the outcome
        try (Stream<Path> left = Files.list(drills)) {
            assertEquals(List.of(), left.toList(), r.toString());
        }
        return JSON.readTree(r.out());
    }

    private static Map<String, String> checks(String json) {
        return Map.of("PITR_DRILL_CHECKS", json);
    }

    private JsonNode status() throws Exception {
        Cli.Run r = fx.cli("status", "--json");
        return JSON.readTree(r.out());
    }

    @Test
    @Order(1)
    void aDrillToATimeRestoresExactlyTheRowsCommittedByThenAndRecordsItsRto() throws Exception {
        JsonNode d = drill(
                0,
                checks("[{\"name\": \"markers\", \"sql\": \"SELECT count(*) || ':' || min(id) || '-' || max(id)"
                        + " FROM marker\", \"expect\": \"30:1-30\"}]"),
                "--to",
                afterFirst.toString());
        assertTrue(d.get("passed").asBoolean(), d.toString());
        firstDrillSnapshot = d.get("snapshot").asText();
        JsonNode rto = d.get("rto_seconds");
        assertTrue(rto.get("total").asDouble() > 0, d.toString());
        assertTrue(
                rto.get("total").asDouble()
                        >= rto.get("lay_down").asDouble() + rto.get("replay").asDouble(),
                d.toString());
        JsonNode amcheck = d.get("checks").get(0);
        assertEquals("amcheck postgres", amcheck.get("name").asText(), d.toString());
        assertTrue(amcheck.get("passed").asBoolean(), d.toString());
        // the table's primary key and its second index at least
        assertTrue(Integer.parseInt(amcheck.get("detail").asText().replaceAll(" .*", "")) >= 2, d.toString());
        JsonNode markers = d.get("checks").get(d.get("checks").size() - 1);
        assertEquals("markers", markers.get("name").asText());
        assertTrue(markers.get("passed").asBoolean(), d.toString());

        JsonNode s = status();
        assertEquals(d.get("id").asText(), s.get("last_drill").get("id").asText(), s.toString());
        assertTrue(s.get("last_drill").get("passed").asBoolean(), s.toString());
        assertTrue(s.get("recovery_time").get("seconds").asDouble() > 0, s.toString());
    }

    @Test
    @Order(2)
    void aDrillAtRandomRestoresFromAnotherSnapshotThanTheLastOne() throws Exception {
        JsonNode d = drill(0, Map.of());
        assertTrue(d.get("passed").asBoolean(), d.toString());
        assertNotEquals(firstDrillSnapshot, d.get("snapshot").asText(), d.toString());
        Instant target = Instant.parse(d.get("target")
                .asText()
                .substring("time ".length())
                .replace(' ', 'T')
                .replaceAll("\\+00$", "Z"));
        assertFalse(target.isAfter(Instant.now()), d.toString());
    }

    @Test
    @Order(3)
    void aCheckThatDoesNotGetWhatItExpectsFailsTheDrill() throws Exception {
        JsonNode d = drill(
                23,
                checks("[{\"name\": \"markers\", \"sql\": \"SELECT count(*) FROM marker\", \"expect\": \"999\"}]"),
                "--to",
                afterThird.toString());
        assertFalse(d.get("passed").asBoolean(), d.toString());
        assertEquals("DRILL_FAILED", d.get("error").asText(), d.toString());
        assertTrue(d.get("cause").asText().contains("expected '999', got '120'"), d.toString());
    }

    @Test
    @Order(4)
    void aDrillThroughASegmentDeletedFromStorageFailsAndStatusAndMetricsShowIt() throws Exception {
        try (Repository repo = Repository.open(fx.config(), false)) {
            List<SegmentRecord> segs = repo.catalog().allSegments();
            // the segment the third batch was switched out of: every time after the second snapshot needs it
            repo.storage().delete(segs.get(segs.size() - 2).storageKey());
        }
        JsonNode d = drill(23, Map.of(), "--to", afterThird.toString());
        assertFalse(d.get("passed").asBoolean(), d.toString());
        assertTrue(d.get("cause").asText().length() > 0, d.toString());

        JsonNode s = status();
        assertFalse(s.get("last_drill").get("passed").asBoolean(), s.toString());
        assertTrue(s.get("last_drill").get("last_passed_at").isTextual(), s.toString());
        assertTrue(s.get("warnings").toString().contains("FAILED"), s.toString());
        String metrics;
        try (Repository repo = Repository.open(fx.config(), true)) {
            metrics = Metrics.of(StatusService.from(fx.config(), repo.catalog(), Clock.systemUTC())
                    .status());
        }
        assertTrue(metrics.contains("\npitr_drill_last_passed 0\n"), metrics);
        // the failed drill measured nothing; when one passed last is there
        assertFalse(metrics.contains("pitr_drill_rto_seconds"), metrics);
        assertTrue(metrics.contains("\npitr_drill_last_passed_timestamp_seconds "), metrics);
    }
}
