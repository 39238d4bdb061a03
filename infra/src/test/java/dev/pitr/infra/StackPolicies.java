package dev.pitr.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.pitr.aws.AwsCallLog;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Template;

/**
 * The synthesized stack's IAM policies as AWS would hold them once deployed: every CloudFormation reference resolved to
 * the ARN the resource would get in account {@value #ACCOUNT}, region {@value #REGION}, each physical name being its
 * logical id. Grouped by the principal ({@link AwsCallLog}) that acts under them.
 */
final class StackPolicies {

    static final String ACCOUNT = "111122223333";
    static final String REGION = "us-east-1";
    static final ObjectMapper JSON = new ObjectMapper();

    /** Which policy each principal acts under: a host's managed policy, or a function role's policies. */
    static final Map<String, String> SOURCES = Map.of(
            AwsCallLog.ARCHIVER, "ArchiverPolicy",
            AwsCallLog.RESTORE_AGENT, "RestoreAgentPolicy",
            AwsCallLog.RESTORE_OPERATOR, "RestoreOperatorPolicy",
            AwsCallLog.PLAN_FUNCTION, "PlanRole",
            AwsCallLog.RECORD_FUNCTION, "RecordRole",
            AwsCallLog.RETENTION_FUNCTION, "RetentionRole");

    private final JsonNode resources;

    StackPolicies(Stack stack) {
        this.resources = JSON.valueToTree(Template.fromStack(stack).toJSON()).path("Resources");
    }

    /** The logical id of the one resource of {@code type} whose id starts with {@code prefix}. */
    String logicalId(String type, String prefix) {
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : resources.properties()) {
            if (e.getValue().path("Type").asText().equals(type) && e.getKey().matches(prefix + "[0-9A-F]{8}")) {
                found.add(e.getKey());
            }
        }
        if (found.size() != 1) {
            throw new IllegalStateException(type + " " + prefix + ": " + found);
        }
        return found.get(0);
    }

    /** The identity policies {@code principal} acts under, resolved, by name. */
    Map<String, JsonNode> identityPolicies(String principal) {
        String source = SOURCES.get(principal);
        Map<String, JsonNode> policies = new LinkedHashMap<>();
        if (source.endsWith("Policy")) {
            String id = logicalId("AWS::IAM::ManagedPolicy", source);
            policies.put(id, resolve(resources.path(id).path("Properties").path("PolicyDocument")));
            return policies;
        }
        String role = logicalId("AWS::IAM::Role", source);
        for (Map.Entry<String, JsonNode> e : resources.properties()) {
            JsonNode p = e.getValue().path("Properties");
            if (e.getValue().path("Type").asText().equals("AWS::IAM::Policy")) {
                for (JsonNode r : p.path("Roles")) {
                    if (r.path("Ref").asText().equals(role)) {
                        policies.put(e.getKey(), resolve(p.path("PolicyDocument")));
                    }
                }
            }
        }
        JsonNode role0 = resources.path(role).path("Properties");
        if (role0.has("ManagedPolicyArns") || role0.has("Policies")) {
            throw new IllegalStateException(role + " has policies this test does not read");
        }
        return policies;
    }

    /** The archive bucket's policy. */
    JsonNode bucketPolicy() {
        String bucket = logicalId("AWS::S3::Bucket", "Archive");
        for (Map.Entry<String, JsonNode> entry : resources.properties()) {
            JsonNode r = entry.getValue();
            if (r.path("Type").asText().equals("AWS::S3::BucketPolicy")
                    && r.path("Properties").path("Bucket").path("Ref").asText().equals(bucket)) {
                return resolve(r.path("Properties").path("PolicyDocument"));
            }
        }
        throw new IllegalStateException("no policy on " + bucket);
    }

    /** The key's policy. */
    JsonNode keyPolicy() {
        return resolve(resources
                .path(logicalId("AWS::KMS::Key", "Key"))
                .path("Properties")
                .path("KeyPolicy"));
    }

    String bucketArn() {
        return "arn:aws:s3:::" + physical(logicalId("AWS::S3::Bucket", "Archive"));
    }

    String tableArn() {
        return arn(logicalId("AWS::DynamoDB::Table", "Catalog"), "Arn");
    }

    String keyArn() {
        return arn(logicalId("AWS::KMS::Key", "Key"), "Arn");
    }

    String activityArn() {
        return ref(logicalId("AWS::StepFunctions::Activity", "Agent"));
    }

    String stateMachineArn() {
        return ref(logicalId("AWS::StepFunctions::StateMachine", "Restore"));
    }

    String executionArn(String name) {
        return "arn:aws:states:" + REGION + ":" + ACCOUNT + ":execution:"
                + logicalId("AWS::StepFunctions::StateMachine", "Restore") + ":" + name;
    }

    /** A copy of {@code node} with every {@code Ref}, {@code Fn::GetAtt} and {@code Fn::Join} replaced by its value. */
    JsonNode resolve(JsonNode node) {
        if (node.isObject()) {
            if (node.size() == 1 && node.has("Ref")) {
                return TextNode.valueOf(ref(node.get("Ref").asText()));
            }
            if (node.size() == 1 && node.has("Fn::GetAtt")) {
                return TextNode.valueOf(arn(
                        node.get("Fn::GetAtt").get(0).asText(),
                        node.get("Fn::GetAtt").get(1).asText()));
            }
            if (node.size() == 1 && node.has("Fn::Join")) {
                StringBuilder b = new StringBuilder();
                String sep = node.get("Fn::Join").get(0).asText();
                for (JsonNode part : node.get("Fn::Join").get(1)) {
                    b.append(b.length() == 0 ? "" : sep).append(resolve(part).asText());
                }
                return TextNode.valueOf(b.toString());
            }
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            node.properties().forEach(e -> {
                if (e.getKey().startsWith("Fn::")) {
                    throw new IllegalStateException("not resolved here: " + e.getKey());
                }
                copy.set(e.getKey(), resolve(e.getValue()));
            });
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode();
            node.forEach(n -> copy.add(resolve(n)));
            return copy;
        }
        return node;
    }

    private String ref(String id) {
        String pseudo = switch (id) {
            case "AWS::Partition" -> "aws";
            case "AWS::Region" -> REGION;
            case "AWS::AccountId" -> ACCOUNT;
            case "AWS::URLSuffix" -> "amazonaws.com";
            default -> null;
        };
        if (pseudo != null) {
            return pseudo;
        }
        String type = resources.path(id).path("Type").asText();
        return switch (type) {
            case "AWS::StepFunctions::Activity" -> "arn:aws:states:" + REGION + ":" + ACCOUNT + ":activity:" + id;
            case "AWS::StepFunctions::StateMachine" ->
                "arn:aws:states:" + REGION + ":" + ACCOUNT + ":stateMachine:" + id;
            case "AWS::KMS::Key" -> id;
            case "AWS::S3::Bucket" -> physical(id);
            default -> id;
        };
    }

    private String arn(String id, String attribute) {
        String type = resources.path(id).path("Type").asText();
        if (attribute.equals("Name")) {
            return id;
        }
        return switch (type) {
            case "AWS::S3::Bucket" -> "arn:aws:s3:::" + physical(id);
            case "AWS::DynamoDB::Table" -> "arn:aws:dynamodb:" + REGION + ":" + ACCOUNT + ":table/" + id;
            case "AWS::KMS::Key" -> "arn:aws:kms:" + REGION + ":" + ACCOUNT + ":key/" + id;
            case "AWS::Lambda::Function" -> "arn:aws:lambda:" + REGION + ":" + ACCOUNT + ":function:" + id;
            case "AWS::Logs::LogGroup" -> "arn:aws:logs:" + REGION + ":" + ACCOUNT + ":log-group:" + id + ":*";
            case "AWS::IAM::Role" -> "arn:aws:iam::" + ACCOUNT + ":role/" + id;
            default -> throw new IllegalStateException("no ARN for " + type + " " + id);
        };
    }

    /** Bucket names are lower case. */
    private static String physical(String id) {
        return id.toLowerCase(java.util.Locale.ROOT);
    }
}
