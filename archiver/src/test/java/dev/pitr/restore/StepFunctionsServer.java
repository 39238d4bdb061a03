package dev.pitr.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pitr.restore.workflow.RestoreJob;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for the Step Functions API on 127.0.0.1, speaking its JSON protocol ({@code X-Amz-Target:
 * AWSStepFunctions.<operation>}) to the SDK's real client: activity tasks handed out from a queue and the reports on
 * them recorded; executions started with a scripted history that is paged as the service pages it ({@code maxResults},
 * a {@code nextToken} only while more events are there), and stopped. Every request is recorded as {@code
 * "<operation> <body>"}.
 */
final class StepFunctionsServer implements AutoCloseable {

    static final String REGION = "us-east-1";
    static final String ACTIVITY_ARN = "arn:aws:states:us-east-1:111122223333:activity:pitr-agent";
    static final String STATE_MACHINE_ARN = "arn:aws:states:us-east-1:111122223333:stateMachine:pitr-restore";

    private final HttpServer server;
    final LinkedBlockingDeque<ObjectNode> tasks = new LinkedBlockingDeque<>();
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    /** The history every execution started gets; tests fill it before the start. */
    final List<ObjectNode> script = Collections.synchronizedList(new ArrayList<>());

    private final Map<String, List<ObjectNode>> histories = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();

    StepFunctionsServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Queues a task for the activity; returns its token. */
    String queue(ObjectNode input) {
        String token = "token-" + tokens.incrementAndGet();
        tasks.add(RestoreJob.JSON.createObjectNode().put("taskToken", token).put("input", input.toString()));
        return token;
    }

    /** An event of the scripted history, as GetExecutionHistory returns it. */
    static ObjectNode event(String type) {
        return RestoreJob.JSON.createObjectNode().put("type", type).put("timestamp", 1.7e9);
    }

    static ObjectNode entered(String state) {
        ObjectNode e = event("TaskStateEntered");
        e.putObject("stateEnteredEventDetails").put("name", state);
        return e;
    }

    /** The requests made of {@code operation}, their bodies. */
    List<JsonNode> made(String operation) {
        List<JsonNode> out = new ArrayList<>();
        synchronized (requests) {
            for (String r : requests) {
                if (r.startsWith(operation + " ")) {
                    try {
                        out.add(RestoreJob.JSON.readTree(r.substring(operation.length() + 1)));
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }
        return out;
    }

    private void handle(HttpExchange x) throws IOException {
        String target = x.getRequestHeaders().getFirst("X-Amz-Target");
        String op = target == null ? "" : target.substring(target.indexOf('.') + 1);
        JsonNode body = RestoreJob.JSON.readTree(x.getRequestBody().readAllBytes());
        requests.add(op + " " + body);
        ObjectNode out = RestoreJob.JSON.createObjectNode();
        try {
            switch (op) {
                case "GetActivityTask" -> {
                    ObjectNode t = tasks.poll(300, TimeUnit.MILLISECONDS);
                    if (t != null) {
                        out.setAll(t);
                    }
                }
                case "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat" -> {
                    // recorded
                }
                case "StartExecution" -> {
                    String arn = STATE_MACHINE_ARN.replace(":stateMachine:", ":execution:") + ":"
                            + body.path("name").asText();
                    List<ObjectNode> history = new ArrayList<>();
                    synchronized (script) {
                        for (ObjectNode e : script) {
                            history.add(e.deepCopy().put("id", history.size() + 1));
                        }
                    }
                    histories.put(arn, history);
                    out.put("executionArn", arn).put("startDate", 1.7e9);
                }
                case "GetExecutionHistory" -> {
                    List<ObjectNode> history =
                            histories.getOrDefault(body.path("executionArn").asText(), List.of());
                    int from = body.hasNonNull("nextToken")
                            ? Integer.parseInt(body.get("nextToken").asText())
                            : 0;
                    int max = body.path("maxResults").asInt(100);
                    int to = Math.min(history.size(), from + max);
                    ArrayNode events = out.putArray("events");
                    history.subList(from, to).forEach(events::add);
                    if (to < history.size()) {
                        out.put("nextToken", Integer.toString(to));
                    }
                }
                case "StopExecution" -> out.put("stopDate", 1.7e9);
                default -> {
                    reply(x, 400, "{\"__type\":\"UnknownOperationException\",\"message\":\"" + op + "\"}");
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reply(x, 200, out.toString());
    }

    private static void reply(HttpExchange x, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.0");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
