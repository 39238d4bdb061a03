package dev.pitr.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.aws.AwsCallLog;
import dev.pitr.crypto.KmsKeyWrapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;

/**
 * The stack's IAM policies checked against every AWS call the build's integration tests made through pitr's own code:
 * the call log ({@link AwsCallLog}, {@code target/aws-calls.jsonl} at the top of the tree) says which principal made
 * each call, and {@code @cloud-copilot/iam-simulate} (node, pinned in package.json) evaluates it against that
 * principal's policies in the synthesized template, with the bucket's and the key's resource policies. Calls AWS makes
 * on a principal's behalf are added as AWS documents them: SSE-KMS under the archive bucket (GenerateDataKey for a
 * write, Decrypt for a read, through S3) and the table's customer managed key (Decrypt through DynamoDB). Then every
 * action a policy grants that no call used is listed, and must be explained here or removed.
 */
class IamPolicyTest {

    static final String ENVELOPES = "envelope keys under encryption.kms_key_id: no KMS server runs here, so"
            + " envelopeKeysUnderKmsAreAllowedWithTheirContextOnly checks the calls KmsKeyWrapper makes";

    /** Grants no test exercises, and why each stays: {@code principal action (condition keys)}. */
    static final Map<String, String> UNUSED = Map.of(
            "archiver kms:GenerateDataKey (kms:EncryptionContext:pitr)", ENVELOPES,
            "archiver kms:Decrypt (kms:EncryptionContext:pitr)", ENVELOPES,
            "archiver kms:Encrypt (kms:EncryptionContext:pitr)",
                    "'pitr keys rotate' re-wraps data keys under encryption.kms_key_id; " + ENVELOPES,
            "restore-agent kms:Decrypt (kms:EncryptionContext:pitr)", ENVELOPES,
            "archiver s3:AbortMultipartUpload",
                    "a multipart upload that fails is aborted, so its parts stop costing: only in runs where a fault"
                            + " test breaks one (S3StorageFaultIT always does, through a client no host role acts as)",
            "archiver s3:PutObjectTagging",
                    "retention on the archiving host ('pitr run', 'pitr retention apply') hands expired objects to the"
                            + " lifecycle rule by tagging them; the tests run it there on local storage, and on S3"
                            + " through the retention function, which the same code tags from",
            "restore-agent s3:ListBucket",
                    "without it S3 answers a GetObject of a missing key 403 instead of 404, and 'wal fetch' must tell a"
                            + " segment that is not archived (exit 1, recovery ends) from a refused read (recovery stops)");

    static StackPolicies stack;
    static List<JsonNode> calls;

    @BeforeAll
    static void read() throws IOException {
        // the prefix the integration tests archive under ('it'), so object grants are checked with theirs
        App app = PitrApp.app(null, Map.of("pitr:storagePrefix", "it"));
        stack = new StackPolicies((Stack) app.getNode().findChild("Pitr"));
        String log = System.getenv(AwsCallLog.ENV);
        assertTrue(
                log != null && Files.exists(Path.of(log)),
                "no AWS call log at " + log
                        + ": it is written by the integration tests of the aws, archiver and functions modules; run the whole"
                        + " build (./run-tests)");
        calls = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(log))) {
            calls.add(StackPolicies.JSON.readTree(line));
        }
    }

    /** One request as the simulator takes it, keyed so that equal requests are simulated once. */
    record Request(String principal, String action, String resource, Map<String, String> context) {
        String describe() {
            return principal + " " + action + " " + resource + (context.isEmpty() ? "" : " " + context);
        }
    }

    @Test
    void everyPrincipalMadeCalls() {
        Set<String> seen = new TreeSet<>();
        calls.forEach(c -> seen.add(c.path("principal").asText()));
        Set<String> expected = new TreeSet<>(StackPolicies.SOURCES.keySet());
        expected.add(AwsCallLog.REPOSITORY_SETUP);
        assertEquals(
                expected, seen, "every principal's calls are in the log; a missing one means its tests did not run");
    }

    @Test
    void everyCallTheTestsMadeIsAllowed() {
        Set<Request> requests = requests(calls);
        List<String> denied = denied(requests, Map.of());
        assertTrue(
                denied.isEmpty(),
                denied.size() + " of " + requests.size() + " requests denied:\n" + String.join("\n", denied));
    }

    /** The test can fail: the archiver's policy without its deletes denies the deletes capture makes. */
    @Test
    void theArchiverPolicyWithoutItsDeletesDeniesTheDeletesCaptureMakes() {
        Set<Request> requests = new LinkedHashSet<>();
        for (Request r : requests(calls)) {
            if (r.principal().equals(AwsCallLog.ARCHIVER)) {
                requests.add(r);
            }
        }
        List<String> denied = denied(requests, Map.of(AwsCallLog.ARCHIVER, "s3:DeleteObject"));
        assertFalse(denied.isEmpty());
        for (String d : denied) {
            assertTrue(d.startsWith("archiver s3:DeleteObject "), d);
        }
        assertTrue(denied.stream().anyMatch(d -> d.contains("/partial/")), String.join("\n", denied));
        System.out.println("without s3:DeleteObject the archiver is denied " + denied.size() + " requests, as:\n  "
                + String.join("\n  ", denied.subList(0, Math.min(5, denied.size()))));
    }

    /** pitr's envelope keys under KMS: allowed with the encryption context KmsKeyWrapper sends, refused without. */
    @Test
    void envelopeKeysUnderKmsAreAllowedWithTheirContextOnly() {
        Map<String, String> context =
                Map.of("kms:EncryptionContext:" + KmsKeyWrapper.CONTEXT_NAME, KmsKeyWrapper.CONTEXT_VALUE);
        Map<String, String> other = Map.of("kms:EncryptionContext:" + KmsKeyWrapper.CONTEXT_NAME, "something-else");
        Set<Request> allowed = new LinkedHashSet<>();
        Set<Request> refused = new LinkedHashSet<>();
        for (String action : List.of("kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt")) {
            allowed.add(new Request(AwsCallLog.ARCHIVER, action, stack.keyArn(), context));
            refused.add(new Request(AwsCallLog.ARCHIVER, action, stack.keyArn(), other));
            refused.add(new Request(AwsCallLog.ARCHIVER, action, stack.keyArn(), Map.of()));
        }
        allowed.add(new Request(AwsCallLog.RESTORE_AGENT, "kms:Decrypt", stack.keyArn(), context));
        refused.add(new Request(AwsCallLog.RESTORE_AGENT, "kms:GenerateDataKey", stack.keyArn(), context));
        refused.add(new Request(AwsCallLog.RESTORE_OPERATOR, "kms:Decrypt", stack.keyArn(), context));
        assertEquals(List.of(), denied(allowed, Map.of()));
        assertEquals(refused.size(), denied(refused, Map.of()).size(), refused.toString());
    }

    /** Each statement's actions, counted used only by a call that statement allowed. */
    @Test
    void everyGrantedActionIsUsedOrExplained() {
        Set<String> used = new TreeSet<>();
        for (Outcome o : simulate(requests(calls), Map.of())) {
            for (JsonNode by : o.allowedBy()) {
                used.add(o.request().principal() + " " + by.path("policy").asText() + " "
                        + by.path("statement").asInt() + " " + o.request().action());
            }
        }
        Set<String> unused = new TreeSet<>();
        Set<String> granted = new TreeSet<>();
        for (String principal : StackPolicies.SOURCES.keySet()) {
            for (Map.Entry<String, JsonNode> policy :
                    stack.identityPolicies(principal).entrySet()) {
                int index = 0;
                for (JsonNode st : policy.getValue().path("Statement")) {
                    List<String> conditions = new ArrayList<>();
                    st.path("Condition").forEach(op -> op.properties().forEach(e -> conditions.add(e.getKey())));
                    for (String action : strings(st.path("Action"))) {
                        String grant = principal + " " + action
                                + (conditions.isEmpty() ? "" : " (" + String.join(", ", conditions) + ")");
                        granted.add(grant);
                        String key = principal + " " + policy.getKey() + " " + index + " " + action;
                        if (!used.contains(key) && !action.startsWith("logs:") && !action.startsWith("xray:")) {
                            unused.add(grant);
                        }
                    }
                    index++;
                }
            }
        }
        System.out.println("granted actions no test used:");
        unused.forEach(u -> System.out.println("  " + u + ": " + UNUSED.getOrDefault(u, "UNEXPLAINED")));
        Set<String> unexplained = new TreeSet<>(unused);
        unexplained.removeAll(UNUSED.keySet());
        assertEquals(Set.of(), unexplained, "granted but used by no test: use it in a test, remove it, or explain it");
        // an explained grant a run happens to use (a fault test aborting an upload) is fine; one no longer granted is
        // not
        Set<String> stale = new TreeSet<>(UNUSED.keySet());
        stale.removeAll(granted);
        assertEquals(Set.of(), stale, "explained as unused but no longer granted: drop the explanation");
    }

    /**
     * The requests the logged calls stand for, on the stack's resources, with what AWS adds on the caller's behalf.
     * The one call not taken as made: a delete made because the store answered 501 to tagging (S3Storage.expire's
     * fallback for stores without tagging, as the S3 server these tests run); on S3 the tagging succeeds.
     */
    static Set<Request> requests(List<JsonNode> calls) {
        Set<Request> out = new LinkedHashSet<>();
        Set<String> untaggable = new java.util.HashSet<>();
        for (JsonNode c : calls) {
            String principal = c.path("principal").asText();
            String action = c.path("action").asText();
            String resource = c.path("resource").asText();
            if (!StackPolicies.SOURCES.containsKey(principal)) {
                continue; // creating the bucket and the table: the stack does that on AWS, no host role
            }
            if (action.equals("s3:PutObjectTagging") && c.path("status").asInt() == 501) {
                // evaluated as AWS sees it; the delete that follows is the store's fallback, not AWS's path
                untaggable.add(principal + " " + resource);
            }
            if (action.equals("s3:DeleteObject") && untaggable.contains(principal + " " + resource)) {
                continue;
            }
            Map<String, String> context = new TreeMap<>();
            c.path("conditions")
                    .properties()
                    .forEach(e -> context.put(e.getKey(), e.getValue().asText()));
            String arn;
            switch (c.path("resourceType").asText()) {
                case "bucket" -> arn = stack.bucketArn();
                case "object" -> {
                    arn = stack.bucketArn() + resource.substring(resource.indexOf('/'));
                    if (action.equals("s3:PutObject")) {
                        out.add(viaS3(principal, "kms:GenerateDataKey"));
                    } else if (action.equals("s3:GetObject")) {
                        out.add(viaS3(principal, "kms:Decrypt"));
                    }
                }
                case "table" -> {
                    arn = stack.tableArn();
                    out.add(new Request(
                            principal,
                            "kms:Decrypt",
                            stack.keyArn(),
                            Map.of(
                                    "kms:ViaService",
                                    "dynamodb." + StackPolicies.REGION + ".amazonaws.com",
                                    "kms:EncryptionContext:aws:dynamodb:tableName",
                                    stack.tableArn().substring(stack.tableArn().indexOf('/') + 1),
                                    "kms:EncryptionContext:aws:dynamodb:subscriberId",
                                    StackPolicies.ACCOUNT)));
                }
                case "key" -> arn = stack.keyArn();
                case "activity" -> arn = stack.activityArn();
                case "stateMachine" -> arn = stack.stateMachineArn();
                case "execution" -> arn = stack.executionArn(resource.substring(resource.lastIndexOf(':') + 1));
                case "task" -> arn = "*";
                default -> throw new IllegalStateException("a call on an unknown resource: " + c);
            }
            out.add(new Request(principal, action, arn, context));
        }
        return out;
    }

    private static Request viaS3(String principal, String action) {
        return new Request(
                principal,
                action,
                stack.keyArn(),
                Map.of(
                        "kms:ViaService",
                        "s3." + StackPolicies.REGION + ".amazonaws.com",
                        "kms:EncryptionContext:aws:s3:arn",
                        stack.bucketArn()));
    }

    /**
     * The requests the simulator does not allow, described; {@code without} takes one action out of a principal's
     * policies first.
     */
    /** One request's outcome: the simulator's decision, and the identity statements that allowed it. */
    record Outcome(Request request, String result, JsonNode errors, List<JsonNode> allowedBy) {}

    static List<String> denied(Set<Request> requests, Map<String, String> without) {
        List<String> denied = new ArrayList<>();
        for (Outcome o : simulate(requests, without)) {
            if (!o.result().equals("Allowed")) {
                denied.add(o.request().describe() + ": " + o.result() + (o.errors() == null ? "" : " " + o.errors()));
            }
        }
        return denied;
    }

    static List<Outcome> simulate(Set<Request> requests, Map<String, String> without) {
        ArrayNode cases = JsonNodeFactory.instance.arrayNode();
        List<Request> order = new ArrayList<>(requests);
        Map<String, ArrayNode> identity = new LinkedHashMap<>();
        for (Request r : order) {
            ArrayNode policies = identity.computeIfAbsent(r.principal(), p -> {
                ArrayNode a = JsonNodeFactory.instance.arrayNode();
                stack.identityPolicies(p)
                        .forEach((name, doc) ->
                                a.addObject().put("name", name).set("policy", withoutAction(doc, without.get(p))));
                return a;
            });
            ObjectNode c = cases.addObject();
            c.set("identityPolicies", policies);
            if (r.action().startsWith("s3:")) {
                c.set("resourcePolicy", stack.bucketPolicy());
            } else if (r.action().startsWith("kms:")) {
                c.set("resourcePolicy", stack.keyPolicy());
            }
            ObjectNode request = c.putObject("request");
            request.put("action", r.action())
                    .put("principal", "arn:aws:iam::" + StackPolicies.ACCOUNT + ":role/" + r.principal());
            request.putObject("resource").put("resource", r.resource()).put("accountId", StackPolicies.ACCOUNT);
            ObjectNode context = request.putObject("contextVariables");
            context.put("aws:SecureTransport", "true");
            r.context().forEach(context::put);
        }
        JsonNode results = simulate(cases);
        List<Outcome> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            JsonNode result = results.get(i);
            List<JsonNode> by = new ArrayList<>();
            result.path("allowedBy").forEach(by::add);
            out.add(new Outcome(order.get(i), result.path("result").asText(), result.get("errors"), by));
        }
        return out;
    }

    private static JsonNode withoutAction(JsonNode policy, String action) {
        if (action == null) {
            return policy;
        }
        ObjectNode copy = policy.deepCopy();
        ArrayNode statements = JsonNodeFactory.instance.arrayNode();
        for (JsonNode st : copy.path("Statement")) {
            ObjectNode s = st.deepCopy();
            ArrayNode actions = JsonNodeFactory.instance.arrayNode();
            strings(st.path("Action")).stream().filter(a -> !a.equals(action)).forEach(actions::add);
            if (!actions.isEmpty()) {
                s.set("Action", actions);
                statements.add(s);
            }
        }
        copy.set("Statement", statements);
        return copy;
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(a -> out.add(a.asText()));
        } else {
            out.add(n.asText());
        }
        return out;
    }

    /** Runs the simulator (node) over the cases; one result per case, in order. */
    private static JsonNode simulate(ArrayNode cases) {
        try {
            Path in = Files.createTempFile("iam-cases", ".json");
            try {
                Files.writeString(in, cases.toString());
                Process p = new ProcessBuilder("node", "src/test/node/iam-simulate.mjs", in.toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    fail("the IAM simulator failed (run 'npm ci' in infra/): " + out);
                }
                JsonNode results = StackPolicies.JSON.readTree(out);
                assertEquals(cases.size(), results.size());
                return results;
            } finally {
                Files.deleteIfExists(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
