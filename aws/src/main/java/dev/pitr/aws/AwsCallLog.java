package dev.pitr.aws;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.AwsExecutionAttribute;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.kms.model.DecryptRequest;
import software.amazon.awssdk.services.kms.model.EncryptRequest;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectTaggingRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * An account of the AWS calls pitr makes, for writing IAM policies and for checking them: with {@code
 * PITR_AWS_CALL_LOG} (or the system property {@code pitr.aws.callLog}) naming a file, every client {@link AwsClients}
 * builds appends to it one JSON line per IAM action each request needs: who made it ({@link #actingAs the principal},
 * such as {@code archiver} or {@code restore-agent}), the SDK operation, the IAM action, the resource (a bucket, an
 * object as {@code bucket/key}, a table, an ARN, a key, or the task a token stands for) and the condition keys the
 * request carries (the KMS encryption context, the S3 list prefix), and the HTTP status it ended with (0: no answer;
 * a failed call is logged too, so a denied one shows as 403). One request can need several actions: a
 * transaction one per item, a batch delete one per key, a put with tags a tagging action too.
 *
 * <p>Lines are appended with one write each, so processes may share the file. A log that cannot be written is said
 * once on stderr and never fails the call. Clients built with no principal set are not logged.
 */
public final class AwsCallLog implements ExecutionInterceptor {

    /** The environment variable that names the log file. */
    public static final String ENV = "PITR_AWS_CALL_LOG";

    /** The principals pitr's parts act as, one per IAM role or policy the infrastructure stack defines. */
    public static final String ARCHIVER = "archiver";

    public static final String RESTORE_AGENT = "restore-agent";
    public static final String RESTORE_OPERATOR = "restore-operator";
    public static final String PLAN_FUNCTION = "plan-function";
    public static final String RECORD_FUNCTION = "record-function";
    public static final String RETENTION_FUNCTION = "retention-function";

    /**
     * Whoever creates the bucket and the table ({@code pitr init --create}, {@code check --fix}) where no
     * infrastructure code made them: an administrator, not a host's role.
     */
    public static final String REPOSITORY_SETUP = "repository-setup";

    static final ExecutionAttribute<String> PRINCIPAL = new ExecutionAttribute<>("pitr.principal");

    private static final InheritableThreadLocal<String> ACTING_AS = new InheritableThreadLocal<>();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final Path file;

    AwsCallLog(Path file) {
        this.file = file;
    }

    /**
     * Runs {@code work} with clients built on this thread, and on threads it starts, logged as made by {@code
     * principal}.
     */
    public static <T> T actingAs(String principal, Supplier<T> work) {
        String before = ACTING_AS.get();
        ACTING_AS.set(principal);
        try {
            return work.get();
        } finally {
            ACTING_AS.set(before);
        }
    }

    /** The principal clients built now are logged as, if any. */
    static Optional<String> principal() {
        return Optional.ofNullable(ACTING_AS.get());
    }

    /** The log file the environment names, if any. */
    static Optional<Path> destination() {
        String v = System.getProperty("pitr.aws.callLog", System.getenv(ENV));
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(Path.of(v));
    }

    /** One IAM action a request needs, on one resource, with the condition keys it carries. */
    record Call(String action, String resourceType, String resource, Map<String, String> conditions) {
        Call(String action, String resourceType, String resource) {
            this(action, resourceType, resource, Map.of());
        }
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        log(context.request(), context.httpResponse().statusCode(), attributes);
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        int status = context.httpResponse()
                .map(SdkHttpResponse::statusCode)
                .orElse(context.exception() instanceof SdkServiceException e ? e.statusCode() : 0);
        log(context.request(), status, attributes);
    }

    private void log(SdkRequest request, int status, ExecutionAttributes attributes) {
        String principal = attributes.getAttribute(PRINCIPAL);
        if (principal == null) {
            return;
        }
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        Region region = attributes.getAttribute(AwsExecutionAttribute.AWS_REGION);
        StringBuilder lines = new StringBuilder();
        for (Call c : calls(operation, request)) {
            ObjectNode n = JSON.createObjectNode()
                    .put("principal", principal)
                    .put("operation", operation)
                    .put("action", c.action())
                    .put("region", region == null ? null : region.id())
                    .put("resourceType", c.resourceType())
                    .put("resource", c.resource())
                    .put("status", status);
            ObjectNode conditions = n.putObject("conditions");
            c.conditions().forEach(conditions::put);
            lines.append(n).append('\n');
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(
                    file,
                    lines.toString().getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            if (WARNED.compareAndSet(false, true)) {
                System.err.println("warning: cannot write the AWS call log " + file + ": " + e.getMessage());
            }
        }
    }

    /** The IAM actions a request needs, as the Service Authorization Reference lists them per operation. */
    static List<Call> calls(String operation, SdkRequest request) {
        String model = request.getClass().getPackageName();
        return switch (model) {
            case "software.amazon.awssdk.services.s3.model" -> s3(operation, request);
            case "software.amazon.awssdk.services.dynamodb.model" -> dynamoDb(operation, request);
            case "software.amazon.awssdk.services.kms.model" -> kms(operation, request);
            case "software.amazon.awssdk.services.sfn.model" -> stepFunctions(operation, request);
            default -> List.of(new Call(model + ":" + operation, "*", "*"));
        };
    }

    private static List<Call> s3(String operation, SdkRequest r) {
        if (r instanceof ListObjectsV2Request l) {
            Map<String, String> c = l.prefix() == null ? Map.of() : Map.of("s3:prefix", l.prefix());
            return List.of(new Call("s3:ListBucket", "bucket", l.bucket(), c));
        }
        if (r instanceof HeadBucketRequest h) {
            return List.of(new Call("s3:ListBucket", "bucket", h.bucket()));
        }
        if (r instanceof GetObjectRequest g) {
            return List.of(object(g.versionId() == null ? "s3:GetObject" : "s3:GetObjectVersion", g.bucket(), g.key()));
        }
        if (r instanceof HeadObjectRequest h) {
            return List.of(object(h.versionId() == null ? "s3:GetObject" : "s3:GetObjectVersion", h.bucket(), h.key()));
        }
        if (r instanceof PutObjectRequest p) {
            List<Call> calls = new ArrayList<>(List.of(object("s3:PutObject", p.bucket(), p.key())));
            if (p.tagging() != null && !p.tagging().isEmpty()) {
                calls.add(object("s3:PutObjectTagging", p.bucket(), p.key()));
            }
            return calls;
        }
        if (r instanceof CreateMultipartUploadRequest p) {
            return List.of(object("s3:PutObject", p.bucket(), p.key()));
        }
        if (r instanceof UploadPartRequest p) {
            return List.of(object("s3:PutObject", p.bucket(), p.key()));
        }
        if (r instanceof CompleteMultipartUploadRequest p) {
            return List.of(object("s3:PutObject", p.bucket(), p.key()));
        }
        if (r instanceof PutObjectTaggingRequest t) {
            return List.of(object(
                    t.versionId() == null ? "s3:PutObjectTagging" : "s3:PutObjectVersionTagging", t.bucket(), t.key()));
        }
        if (r instanceof DeleteObjectRequest d) {
            return List.of(
                    object(d.versionId() == null ? "s3:DeleteObject" : "s3:DeleteObjectVersion", d.bucket(), d.key()));
        }
        if (r instanceof DeleteObjectsRequest d) {
            List<Call> calls = new ArrayList<>();
            for (ObjectIdentifier o : d.delete().objects()) {
                calls.add(object(
                        o.versionId() == null ? "s3:DeleteObject" : "s3:DeleteObjectVersion", d.bucket(), o.key()));
            }
            return calls;
        }
        String bucket = r.getValueForField("Bucket", String.class).orElse("*");
        Optional<String> key = r.getValueForField("Key", String.class);
        return List.of(
                key.isPresent()
                        ? object("s3:" + operation, bucket, key.get())
                        : new Call("s3:" + operation, "bucket", bucket));
    }

    private static Call object(String action, String bucket, String key) {
        return new Call(action, "object", bucket + "/" + key);
    }

    private static List<Call> dynamoDb(String operation, SdkRequest r) {
        if (r instanceof TransactWriteItemsRequest t) {
            List<Call> calls = new ArrayList<>();
            for (TransactWriteItem i : t.transactItems()) {
                if (i.put() != null) {
                    calls.add(new Call("dynamodb:PutItem", "table", i.put().tableName()));
                } else if (i.update() != null) {
                    calls.add(
                            new Call("dynamodb:UpdateItem", "table", i.update().tableName()));
                } else if (i.delete() != null) {
                    calls.add(
                            new Call("dynamodb:DeleteItem", "table", i.delete().tableName()));
                } else if (i.conditionCheck() != null) {
                    calls.add(new Call(
                            "dynamodb:ConditionCheckItem",
                            "table",
                            i.conditionCheck().tableName()));
                }
            }
            return calls;
        }
        String table = r.getValueForField("TableName", String.class).orElse("*");
        return List.of(new Call("dynamodb:" + operation, "table", table));
    }

    private static List<Call> kms(String operation, SdkRequest r) {
        Map<String, String> context = new TreeMap<>();
        String key = "*";
        if (r instanceof GenerateDataKeyRequest g) {
            key = g.keyId();
            g.encryptionContext().forEach((k, v) -> context.put("kms:EncryptionContext:" + k, v));
        } else if (r instanceof EncryptRequest e) {
            key = e.keyId();
            e.encryptionContext().forEach((k, v) -> context.put("kms:EncryptionContext:" + k, v));
        } else if (r instanceof DecryptRequest d) {
            key = d.keyId() == null ? "*" : d.keyId();
            d.encryptionContext().forEach((k, v) -> context.put("kms:EncryptionContext:" + k, v));
        }
        return List.of(new Call("kms:" + operation, "key", key, context));
    }

    private static List<Call> stepFunctions(String operation, SdkRequest r) {
        for (String field : List.of("activityArn", "stateMachineArn", "executionArn")) {
            Optional<String> arn = r.getValueForField(field, String.class);
            if (arn.isPresent()) {
                return List.of(new Call("states:" + operation, field.replace("Arn", ""), arn.get()));
            }
        }
        if (r.getValueForField("taskToken", String.class).isPresent()) {
            return List.of(new Call("states:" + operation, "task", "*"));
        }
        return List.of(new Call("states:" + operation, "*", "*"));
    }
}
