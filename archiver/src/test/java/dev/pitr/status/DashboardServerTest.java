package dev.pitr.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.PitrException;
import dev.pitr.restore.RestoreWindow;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The server's access rules and caching, over an empty archive's status. */
class DashboardServerTest {

    private static Status empty() {
        return new Status(
                Instant.parse("2026-11-23T00:00:00Z"),
                null,
                null,
                List.of(),
                RestoreWindow.of(List.of(), List.of(), List.of()),
                new Status.Capture(false, null, false, null, null, null, "no primary configured"),
                new Status.Retention("7 daily", List.of(), 0, null, 0, 0, null),
                List.of("no complete snapshot"));
    }

    private static int get(int port, String path, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return HttpClient.newHttpClient()
                .send(b.build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    void basicAuthLetsInOnlyTheConfiguredUser() throws Exception {
        try (DashboardServer d = DashboardServer.start(
                "127.0.0.1:0",
                DashboardServerTest::empty,
                new DashboardServer.Access(null, "ops", "s3cret"),
                Clock.systemUTC())) {
            String good = "Basic " + Base64.getEncoder().encodeToString("ops:s3cret".getBytes(StandardCharsets.UTF_8));
            String bad = "Basic " + Base64.getEncoder().encodeToString("ops:guess".getBytes(StandardCharsets.UTF_8));
            assertEquals(401, get(d.port(), "/", null));
            assertEquals(401, get(d.port(), "/metrics", bad));
            assertEquals(200, get(d.port(), "/metrics", good));
            assertEquals(200, get(d.port(), "/", good));
            assertEquals(404, get(d.port(), "/nothing", good));
        }
    }

    @Test
    void anOpenServerAnswersAndComputesTheStatusAtMostEveryFewSeconds() throws Exception {
        AtomicInteger computed = new AtomicInteger();
        try (DashboardServer d = DashboardServer.start(
                "127.0.0.1:0",
                () -> {
                    computed.incrementAndGet();
                    return empty();
                },
                DashboardServer.Access.OPEN,
                Clock.systemUTC())) {
            for (int i = 0; i < 5; i++) {
                assertEquals(200, get(d.port(), "/status.json", null));
            }
            assertEquals(1, computed.get());
            HttpResponse<String> m = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.port() + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertTrue(m.body().contains("pitr_warnings 1\n"), m.body());
            assertTrue(m.body().contains("pitr_capture_primary_reachable 0\n"), m.body());
        }
    }

    @Test
    void aListenAddressWithoutAPortIsAConfigurationError() {
        assertThrows(
                PitrException.class,
                () -> DashboardServer.start(
                        "localhost", DashboardServerTest::empty, DashboardServer.Access.OPEN, Clock.systemUTC()));
    }
}
