package dev.pitr.status;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Serves {@link Status}: the dashboard page at {@code /}, the status as JSON at {@code /status.json} (what {@code pitr
 * status --json} prints) and Prometheus metrics at {@code /metrics}. A status is computed at most every few seconds,
 * however often it is asked for. With a token, requests need {@code Authorization: Bearer TOKEN} or {@code
 * ?token=TOKEN} (a browser opening the page); with a user and password, basic authentication.
 */
public final class DashboardServer implements AutoCloseable {

    /** Who may read: nobody needs to prove anything, a bearer token, or a user and password. */
    public record Access(String token, String user, String password) {
        public static final Access OPEN = new Access(null, null, null);
    }

    private static final Duration FRESH = Duration.ofSeconds(5);

    private final HttpServer server;
    private final Supplier<Status> source;
    private final Access access;
    private final Clock clock;
    private Status cached;
    private Instant cachedAt;

    private DashboardServer(HttpServer server, Supplier<Status> source, Access access, Clock clock) {
        this.server = server;
        this.source = source;
        this.access = access;
        this.clock = clock;
    }

    /** Starts serving on {@code listen} ({@code host:port}; port 0 picks a free one). */
    public static DashboardServer start(String listen, Supplier<Status> source, Access access, Clock clock) {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "dashboard.listen is '" + listen + "', not host:port",
                    "use e.g. 127.0.0.1:8432");
        }
        HttpServer http;
        try {
            http = HttpServer.create(
                    new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1))),
                    16);
        } catch (IOException | NumberFormatException e) {
            throw new PitrException(
                    ErrorCode.CONFIG_INVALID,
                    "cannot serve the dashboard on " + listen + ": " + e.getMessage(),
                    "choose a free port in dashboard.listen");
        }
        DashboardServer d = new DashboardServer(http, source, access, clock);
        http.createContext("/", d::handle);
        http.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "pitr-dashboard");
            t.setDaemon(true);
            return t;
        }));
        http.start();
        return d;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            if (!allowed(x)) {
                x.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"pitr\"");
                send(x, 401, "text/plain; charset=utf-8", "authentication required\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            switch (x.getRequestURI().getPath()) {
                case "/" -> send(x, 200, "text/html; charset=utf-8", page());
                case "/status.json" ->
                    send(
                            x,
                            200,
                            "application/json",
                            status().toJson().toPrettyString().getBytes(StandardCharsets.UTF_8));
                case "/metrics" ->
                    send(x, 200, Metrics.CONTENT_TYPE, Metrics.of(status()).getBytes(StandardCharsets.UTF_8));
                default -> send(x, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (RuntimeException e) {
            send(
                    x,
                    500,
                    "text/plain; charset=utf-8",
                    ("status failed: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private synchronized Status status() {
        Instant now = clock.instant();
        if (cached == null || Duration.between(cachedAt, now).compareTo(FRESH) >= 0) {
            cached = source.get();
            cachedAt = now;
        }
        return cached;
    }

    private boolean allowed(HttpExchange x) {
        String auth = x.getRequestHeaders().getFirst("Authorization");
        if (access.token() != null) {
            String query = x.getRequestURI().getRawQuery();
            boolean inQuery = query != null
                    && java.util.Arrays.stream(query.split("&"))
                            .anyMatch(q -> same(
                                    q, "token=" + java.net.URLEncoder.encode(access.token(), StandardCharsets.UTF_8)));
            return inQuery || (auth != null && same(auth, "Bearer " + access.token()));
        }
        if (access.user() != null) {
            String basic = "Basic "
                    + Base64.getEncoder()
                            .encodeToString((access.user() + ":" + (access.password() == null ? "" : access.password()))
                                    .getBytes(StandardCharsets.UTF_8));
            return auth != null && same(auth, basic);
        }
        return true;
    }

    private static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] page() {
        try (InputStream in = DashboardServer.class.getResourceAsStream("dashboard.html")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(HttpExchange x, int code, String type, byte[] body) throws IOException {
        x.getResponseHeaders().set("Content-Type", type);
        x.getResponseHeaders().set("Cache-Control", "no-store");
        x.sendResponseHeaders(code, body.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
