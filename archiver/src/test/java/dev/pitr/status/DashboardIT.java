package dev.pitr.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pitr.ArchiveFixture;
import dev.pitr.postgres.LocalCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code pitr run} on a real primary: it captures WAL, takes the scheduled snapshot, and serves the dashboard and
 * {@code /metrics} behind a token. The page is loaded in a real headless Chromium; the metrics are read by the
 * Prometheus client library's own parser.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardIT {

    private static final String TOKEN = "dashboard-token-4711";
    private static final ObjectMapper JSON = new ObjectMapper();

    ArchiveFixture fx;
    Process run;
    int port;
    JsonNode status;

    @BeforeAll
    void runTheService() throws Exception {
        fx = new ArchiveFixture("dashboard");
        fx.ok("check", "--fix");
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        port = LocalCluster.freePort();
        Files.writeString(
                fx.configFile,
                Files.readString(fx.configFile).replace("snapshot:\n", "snapshot:\n  schedule: '* * * * *'\n")
                        + "retention:\n  schedule: '0 0 1 1 *'\n"
                        + "dashboard:\n  listen: 127.0.0.1:" + port + "\n  token: " + TOKEN + "\n");
        run = new ProcessBuilder(
                        "java",
                        "-jar",
                        fx.base.resolve("pitr.jar").toString(),
                        "--config",
                        fx.configFile.toString(),
                        "run")
                .redirectErrorStream(true)
                .redirectOutput(fx.base.resolve("run.log").toFile())
                .start();
        // the minute's due time has passed when the service starts, so it takes a snapshot at once
        Instant deadline = Instant.now().plusSeconds(120);
        while (!fx.ok("status", "--json").out().contains("\"last_snapshot\" : {")) {
            assertTrue(run.isAlive() && Instant.now().isBefore(deadline), "no scheduled snapshot: " + log());
            Thread.sleep(1000);
        }
        ArchiveFixture.insertMarkers(fx.primary, 1, 20, "a");
        fx.switchAndAwaitArchived();
        // a restore the agent is working on, as it records its progress
        try (var repo = dev.pitr.config.Repository.open(fx.config(), false)) {
            repo.catalog()
                    .recordRestore(new dev.pitr.catalog.RestoreRecord(
                            "pitr-20261206T000000Z",
                            Instant.now(),
                            "replaying",
                            "latest",
                            "20261206T000000Z",
                            1L,
                            "0/20000000",
                            null,
                            RESTORE_PROGRESS));
        }
        Thread.sleep(6000); // past the dashboard's status cache
        status = JSON.readTree(fx.ok("status", "--json").out());
    }

    static final String RESTORE_PROGRESS = "replay  512.0 MiB / 2.0 GiB  25%  64.0 MiB/s  ETA 24 s";

    @AfterAll
    void stop() throws Exception {
        try {
            if (run != null) {
                run.destroy();
                assertTrue(run.waitFor(60, TimeUnit.SECONDS), "pitr run did not stop on SIGTERM: " + log());
            }
        } finally {
            if (fx != null) {
                fx.close();
            }
        }
    }

    private String log() throws IOException {
        return Files.readString(fx.base.resolve("run.log"));
    }

    private HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void statusReportsTheScheduledSnapshotAndTheWal() {
        assertTrue(status.path("last_wal").path("rpo_seconds").asLong() < 60, status.toString());
        assertTrue(status.path("capture").path("slot_active").asBoolean(), status.toString());
        assertEquals(
                1, status.path("window").path("timelines").get(0).path("ranges").size(), status.toString());
    }

    @Test
    void theDashboardNeedsTheToken() throws Exception {
        assertEquals(401, get("/status.json", null).statusCode());
        assertEquals(401, get("/metrics", "Bearer wrong").statusCode());
        assertEquals(401, get("/?token=wrong", null).statusCode());
        assertEquals(200, get("/status.json", "Bearer " + TOKEN).statusCode());
    }

    @Test
    void metricsParseAsPrometheusTextAndCarryTheFigures() throws Exception {
        HttpResponse<String> r = get("/metrics", "Bearer " + TOKEN);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        Process py = new ProcessBuilder("/usr/bin/python3", "-c", """
        import sys, json
        from prometheus_client.parser import text_string_to_metric_families as parse
        print(json.dumps([[s.name, s.labels, s.value] for f in parse(sys.stdin.read()) for s in f.samples]))""")
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        py.getOutputStream().write(r.body().getBytes(StandardCharsets.UTF_8));
        py.getOutputStream().close();
        String parsed = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, py.waitFor(), "the Prometheus parser refused:\n" + r.body());
        Map<String, Double> values = new HashMap<>();
        double archiveBytes = 0;
        for (JsonNode s : JSON.readTree(parsed)) {
            String name = s.get(0).asText();
            values.put(name + s.get(1).toString(), s.get(2).asDouble());
            if (name.equals("pitr_archive_bytes")) {
                archiveBytes += s.get(2).asDouble();
            }
        }
        assertTrue(values.containsKey("pitr_rpo_seconds{}"), values.toString());
        assertTrue(values.get("pitr_rpo_seconds{}") < 120, values.toString());
        assertTrue(values.containsKey("pitr_window_start_timestamp_seconds{\"timeline\":\"1\"}"), values.toString());
        assertTrue(values.containsKey("pitr_window_end_timestamp_seconds{\"timeline\":\"1\"}"), values.toString());
        assertEquals(status.path("archive").path("bytes").asDouble(), archiveBytes, 0.5);
        assertEquals(1.0, values.get("pitr_capture_slot_active{}"));
        double windowStart = values.get("pitr_window_start_timestamp_seconds{\"timeline\":\"1\"}");
        String earliest = status.path("window")
                .path("timelines")
                .get(0)
                .path("ranges")
                .get(0)
                .path("earliest_time")
                .asText();
        assertEquals(
                Instant.parse(earliest.replace(" ", "T").replaceAll("\\+00$", "Z"))
                        .getEpochSecond(),
                (long) windowStart);
    }

    @Test
    void chromiumShowsTheSnapshotTheRpoTheRestoreAndDrawsTheWindow() throws Exception {
        Path profile = Files.createTempDirectory("pitr-chromium");
        Process chromium = new ProcessBuilder(
                        "chromium",
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--user-data-dir=" + profile,
                        "--virtual-time-budget=10000",
                        "--dump-dom",
                        "http://127.0.0.1:" + port + "/?token=" + TOKEN)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String dom = new String(chromium.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(chromium.waitFor(60, TimeUnit.SECONDS));
        assertTrue(dom.contains("data-loaded=\"true\""), "the page did not load its status:\n" + dom);
        assertEquals(status.path("last_snapshot").path("id").asText(), element(dom, "last-snapshot"));
        assertTrue(element(dom, "last-snapshot-age").endsWith(" ago, full"), element(dom, "last-snapshot-age"));
        assertEquals(status.path("last_wal").path("end_lsn").asText() + " (timeline 1)", element(dom, "last-wal"));
        assertEquals("replaying", status.path("last_restore").path("outcome").asText(), status.toString());
        assertEquals(
                RESTORE_PROGRESS, status.path("last_restore").path("progress").asText());
        assertEquals("replaying", element(dom, "last-restore"));
        assertEquals(RESTORE_PROGRESS, element(dom, "last-restore-detail"));
        Matcher rpo = Pattern.compile("(\\d+) s").matcher(element(dom, "rpo"));
        assertTrue(rpo.matches(), element(dom, "rpo"));
        assertTrue(
                Math.abs(Long.parseLong(rpo.group(1))
                                - status.path("last_wal").path("rpo_seconds").asLong())
                        <= 15,
                element(dom, "rpo") + " vs " + status.path("last_wal"));
        Matcher ranges = Pattern.compile("<rect class=\"range\" x=\"([\\d.]+)\"[^>]*width=\"([\\d.]+)\"")
                .matcher(dom);
        assertTrue(ranges.find(), "no restorable range drawn:\n" + dom);
        assertTrue(Double.parseDouble(ranges.group(2)) > 100, "the range is drawn " + ranges.group(2) + " px wide");
    }

    /** Last: its snapshots change what the other tests compare. */
    @Test
    @Order(Integer.MAX_VALUE)
    void snapshotCreateDrawsAProgressBarOnATerminalAndNothingElsewhere() throws Exception {
        // script(1) gives the command a pseudo-terminal, as a person at a shell has
        Process p = new ProcessBuilder(
                        "script",
                        "-qec",
                        "java -jar " + fx.base.resolve("pitr.jar") + " --config " + fx.configFile
                                + " snapshot create --label tty",
                        "/dev/null")
                .redirectErrorStream(true)
                .start();
        String shown = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), shown);
        assertTrue(
                // the rate and the time left follow once measured (3 s in)
                Pattern.compile("\rsnapshot  [\\d.]+ [KMG]?i?B / [\\d.]+ [KMG]?i?B  \\d+%")
                        .matcher(shown)
                        .find(),
                "no progress bar on the terminal:\n" + shown);
        String piped = fx.ok("snapshot", "create", "--label", "pipe").err();
        assertTrue(!piped.contains("\r") && !piped.contains("MiB/s"), piped);
    }

    private static String element(String dom, String id) {
        Matcher m = Pattern.compile("id=\"" + id + "\"[^>]*>([^<]*)<").matcher(dom);
        assertTrue(m.find(), "no #" + id + " in\n" + dom);
        return m.group(1);
    }
}
