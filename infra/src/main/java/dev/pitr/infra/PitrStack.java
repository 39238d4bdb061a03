package dev.pitr.infra;

import dev.pitr.catalog.DynamoDbCatalog;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.crypto.KmsKeyWrapper;
import dev.pitr.functions.FunctionEnvironment;
import dev.pitr.functions.PlanHandler;
import dev.pitr.functions.RecordHandler;
import dev.pitr.functions.RetentionHandler;
import dev.pitr.restore.workflow.RecordStep;
import dev.pitr.restore.workflow.RestoreDefinition;
import dev.pitr.storage.S3Storage;
import dev.pitr.storage.Storage;
import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.ArnFormat;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.CfnParameter;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.BillingMode;
import software.amazon.awscdk.services.dynamodb.PointInTimeRecoverySpecification;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.dynamodb.TableEncryption;
import software.amazon.awscdk.services.events.EventField;
import software.amazon.awscdk.services.events.EventPattern;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.RuleTargetInput;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.events.targets.LambdaFunction;
import software.amazon.awscdk.services.events.targets.SfnStateMachine;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.ManagedPolicy;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.kms.Key;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.amazon.awscdk.services.s3.ObjectLockRetention;
import software.amazon.awscdk.services.s3.ObjectOwnership;
import software.amazon.awscdk.services.s3.StorageClass;
import software.amazon.awscdk.services.s3.Transition;
import software.amazon.awscdk.services.stepfunctions.Activity;
import software.amazon.awscdk.services.stepfunctions.DefinitionBody;
import software.amazon.awscdk.services.stepfunctions.LogLevel;
import software.amazon.awscdk.services.stepfunctions.LogOptions;
import software.amazon.awscdk.services.stepfunctions.StateMachine;
import software.constructs.Construct;

/**
 * One cluster's archive in one AWS account: the bucket, the catalog table, the key, the plan and record functions, the
 * retention function and its daily schedule, the activity the restore agent polls, the restore state machine (from the ASL file in core's restore workflow), and one
 * managed policy per host role. The stored data is kept when the stack is deleted.
 */
public final class PitrStack extends Stack {

    /** The Lambda runtimes {@link StackSettings#lambdaRuntime()} names. */
    static final Map<String, Runtime> JAVA =
            Map.of("java17", Runtime.JAVA_17, "java21", Runtime.JAVA_21, "java25", Runtime.JAVA_25);

    private final StackSettings settings;
    private final Key key;
    private final Bucket bucket;
    private final Table table;
    private final Function plan;
    private final Function record;
    private final Function retention;
    private final Activity activity;
    private final StateMachine restore;

    public PitrStack(Construct scope, String id, StackProps props, StackSettings settings) {
        super(scope, id, props);
        this.settings = settings;
        CfnParameter clusterId = CfnParameter.Builder.create(this, "ClusterId")
                .type("String")
                .allowedPattern("^[0-9]{1,20}$")
                .description("The cluster's system identifier (SELECT system_identifier FROM pg_control_system()),"
                        + " which keys its items in the catalog table")
                .build();

        key = Key.Builder.create(this, "Key")
                .description("pitr: the archive bucket's and catalog table's encryption, and envelope data keys"
                        + " (encryption.kms_key_id)")
                .enableKeyRotation(true)
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        bucket = archiveBucket();
        table = Table.Builder.create(this, "Catalog")
                .partitionKey(Attribute.builder()
                        .name(DynamoDbCatalog.PK)
                        .type(AttributeType.STRING)
                        .build())
                .sortKey(Attribute.builder()
                        .name(DynamoDbCatalog.SK)
                        .type(AttributeType.STRING)
                        .build())
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .pointInTimeRecoverySpecification(PointInTimeRecoverySpecification.builder()
                        .pointInTimeRecoveryEnabled(true)
                        .build())
                .encryption(TableEncryption.CUSTOMER_MANAGED)
                .encryptionKey(key)
                .deletionProtection(true)
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();

        Map<String, String> environment = Map.of(
                FunctionEnvironment.CATALOG_TABLE, table.getTableName(),
                FunctionEnvironment.CLUSTER_ID, clusterId.getValueAsString());
        plan = function("Plan", PlanHandler.class, environment, List.of("dynamodb:GetItem", "dynamodb:Query"));
        // the restore's record: read (an execution that ended keeps an outcome a step recorded) and written whole
        record = function("Record", RecordHandler.class, environment, List.of("dynamodb:GetItem", "dynamodb:PutItem"));
        Map<String, String> retentionEnvironment = new java.util.TreeMap<>(environment);
        retentionEnvironment.put(FunctionEnvironment.STORAGE_BUCKET, bucket.getBucketName());
        retentionEnvironment.put(FunctionEnvironment.STORAGE_PREFIX, settings.storagePrefix());
        retentionEnvironment.putAll(settings.retention());
        retention = function(
                "Retention",
                RetentionHandler.class,
                retentionEnvironment,
                List.of(
                        "dynamodb:GetItem",
                        "dynamodb:Query",
                        "dynamodb:PutItem",
                        "dynamodb:UpdateItem",
                        "dynamodb:DeleteItem"));
        retention.getRole().addToPrincipalPolicy(allow(List.of("s3:ListBucket"), bucket.getBucketArn()));
        retention
                .getRole()
                .addToPrincipalPolicy(
                        allow(List.of("s3:PutObjectTagging"), bucket.arnForObjects(settings.storagePrefix() + "*")));
        NagSuppressions.addResourceSuppressions(retention.getRole(), List.of(objectsOnly()), true);
        Rule.Builder.create(this, "RetentionSchedule")
                .description("pitr retention, as 'pitr retention apply' runs it")
                .schedule(Schedule.expression("cron(" + settings.retentionSchedule() + ")"))
                .targets(List.of(LambdaFunction.Builder.create(retention)
                        // a scheduled run claims the day it runs, shared with 'pitr run'
                        .event(RuleTargetInput.fromObject(
                                new java.util.TreeMap<>(Map.of("dryRun", false, "scheduled", true))))
                        .retryAttempts(2)
                        .maxEventAge(Duration.hours(6))
                        .build()))
                .build();
        activity = Activity.Builder.create(this, "Agent").build();
        restore = restoreMachine();
        recordEveryEnd();
        if (settings.drillSchedule() != null) {
            scheduleDrills();
        }
        hostPolicies();

        output("BucketName", bucket.getBucketName(), "storage.bucket");
        output("TableName", table.getTableName(), "catalog.table");
        output("KeyArn", key.getKeyArn(), "storage.sse_kms_key_id and, for envelope keys, encryption.kms_key_id");
        output("ActivityArn", activity.getActivityArn(), "stepfunctions.activity_arn, for 'pitr agent'");
        output(
                "StateMachineArn",
                restore.getStateMachineArn(),
                "stepfunctions.state_machine_arn, for 'pitr restore --remote'");
    }

    /**
     * The archive bucket. Expiry is two-staged: retention tags an object {@link S3Storage#EXPIRED_TAG} once the
     * catalog no longer needs it and its grace period has passed, the tag rule then expires it (a delete marker), and
     * the version stays noncurrent for {@code noncurrentDays} more. Expiration days count from an object's creation, so
     * the tag rule's one day is the soonest S3 allows, not a grace period; the grace period is retention's.
     */
    private Bucket archiveBucket() {
        Bucket logs = Bucket.Builder.create(this, "AccessLogs")
                .encryption(BucketEncryption.S3_MANAGED)
                .enforceSsl(true)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .objectOwnership(ObjectOwnership.BUCKET_OWNER_PREFERRED)
                .lifecycleRules(List.of(LifecycleRule.builder()
                        .id("expire-access-logs")
                        .expiration(Duration.days(365))
                        .build()))
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        NagSuppressions.addResourceSuppressions(
                logs,
                List.of(NagPackSuppression.builder()
                        .id("AwsSolutions-S1")
                        .reason(
                                "This bucket receives the archive bucket's server access logs; logging its own access would log"
                                        + " each log delivery again.")
                        .build()));

        Bucket.Builder b = Bucket.Builder.create(this, "Archive")
                .versioned(true)
                .enforceSsl(true)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .objectOwnership(ObjectOwnership.BUCKET_OWNER_ENFORCED)
                .encryption(BucketEncryption.KMS)
                .encryptionKey(key)
                .bucketKeyEnabled(true)
                .serverAccessLogsBucket(logs)
                .serverAccessLogsPrefix("archive/")
                .removalPolicy(RemovalPolicy.RETAIN)
                .lifecycleRules(List.of(
                        LifecycleRule.builder()
                                .id("expire-tagged")
                                .tagFilters(Map.of(S3Storage.EXPIRED_TAG, "true"))
                                .expiration(Duration.days(1))
                                .build(),
                        LifecycleRule.builder()
                                .id("abort-incomplete-uploads")
                                .abortIncompleteMultipartUploadAfter(Duration.days(1))
                                .build(),
                        LifecycleRule.builder()
                                .id("snapshots-to-infrequent-access")
                                .prefix(settings.storagePrefix() + "snapshots/")
                                .transitions(List.of(Transition.builder()
                                        .storageClass(StorageClass.INFREQUENT_ACCESS)
                                        .transitionAfter(Duration.days(settings.snapshotColdDays()))
                                        .build()))
                                .build(),
                        LifecycleRule.builder()
                                .id("noncurrent-versions")
                                .noncurrentVersionExpiration(Duration.days(settings.noncurrentDays()))
                                .expiredObjectDeleteMarker(true)
                                .build()));
        if (settings.objectLockDays() > 0) {
            Duration days = Duration.days(settings.objectLockDays());
            b.objectLockEnabled(true)
                    .objectLockDefaultRetention(
                            settings.objectLockCompliance()
                                    ? ObjectLockRetention.compliance(days)
                                    : ObjectLockRetention.governance(days));
        }
        return b.build();
    }

    /**
     * A function with its own role: its log group, the named table actions, and the key through DynamoDB (the table's
     * encryption).
     */
    private Function function(
            String name, Class<?> handler, Map<String, String> environment, List<String> tableActions) {
        LogGroup logs = LogGroup.Builder.create(this, name + "Logs")
                .retention(RetentionDays.THREE_MONTHS)
                .removalPolicy(RemovalPolicy.DESTROY)
                .build();
        Role role = Role.Builder.create(this, name + "Role")
                .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
                .description("pitr " + name + " function")
                .build();
        role.addToPolicy(allow(List.of("logs:CreateLogStream", "logs:PutLogEvents"), logs.getLogGroupArn()));
        role.addToPolicy(allow(tableActions, table.getTableArn()));
        role.addToPolicy(keyThroughServices(List.of("kms:Decrypt")));
        Function function = Function.Builder.create(this, name)
                .description("pitr " + name.toLowerCase(Locale.ROOT))
                .runtime(JAVA.get(settings.lambdaRuntime()))
                .architecture(Architecture.ARM_64)
                .handler(handler.getName() + "::handleRequest")
                .code(Code.fromAsset(settings.lambdaJar().toString()))
                .memorySize(1024)
                .timeout(Duration.minutes(name.equals("Retention") ? 15 : 1))
                .environment(environment)
                .role(role)
                .logGroup(logs)
                .build();
        if (!settings.lambdaRuntime().equals("java25")) {
            NagSuppressions.addResourceSuppressions(
                    function,
                    List.of(NagPackSuppression.builder()
                            .id("AwsSolutions-L1")
                            .reason(
                                    "pitr:lambdaRuntime asks for an older Java runtime, as the LocalStack deployment does (LocalStack"
                                            + " 3.8 runs java21 at most); the code is built for Java 17 and runs unchanged on it.")
                            .build()));
        }
        return function;
    }

    private StateMachine restoreMachine() {
        LogGroup logs = LogGroup.Builder.create(this, "RestoreLogs")
                // where Step Functions' logging is meant to write: a resource policy of this size for any number of
                // state machines, not one per log group
                .logGroupName("/aws/vendedlogs/states/" + getStackName() + "-restore")
                .retention(RetentionDays.ONE_YEAR)
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        Role role = Role.Builder.create(this, "RestoreRole")
                .assumedBy(new ServicePrincipal("states.amazonaws.com"))
                .description("pitr restore state machine")
                .build();
        role.addToPolicy(allow(List.of("lambda:InvokeFunction"), plan.getFunctionArn(), record.getFunctionArn()));
        StateMachine machine = StateMachine.Builder.create(this, "Restore")
                .definitionBody(DefinitionBody.fromString(RestoreDefinition.text(settings.agentPickupSeconds())))
                .definitionSubstitutions(Map.of(
                        RestoreDefinition.PLAN_FUNCTION, plan.getFunctionArn(),
                        RestoreDefinition.RECORD_FUNCTION, record.getFunctionArn(),
                        RestoreDefinition.AGENT_ACTIVITY, activity.getActivityArn()))
                .role(role)
                .logs(LogOptions.builder()
                        .destination(logs)
                        .level(LogLevel.ALL)
                        .includeExecutionData(true)
                        .build())
                .tracingEnabled(true)
                .build();
        NagSuppressions.addResourceSuppressions(
                role,
                List.of(NagPackSuppression.builder()
                        .id("AwsSolutions-IAM5")
                        .reason(
                                "Step Functions' log delivery (logs:CreateLogDelivery and related) and X-Ray's trace upload support"
                                        + " no resource-level permissions, so these statements must name Resource *; the function invocations"
                                        + " are scoped to the two functions.")
                        .appliesTo(List.of("Resource::*"))
                        .build()),
                true);
        return machine;
    }

    /**
     * An execution that ends with no Catch to record it (its own timeout, a StopExecution, a failure outside a Task)
     * still ends recorded: its status change goes to the Record function, which records the restore failed unless a
     * step recorded an outcome already.
     */
    private void recordEveryEnd() {
        Rule.Builder.create(this, "RestoreEnded")
                .description("pitr: record restores whose execution ended without recording its outcome")
                .eventPattern(EventPattern.builder()
                        .source(List.of("aws.states"))
                        .detailType(List.of(RecordStep.EXECUTION_STATUS_CHANGE))
                        .detail(Map.of(
                                "stateMachineArn", List.of(restore.getStateMachineArn()),
                                "status", List.of("FAILED", "TIMED_OUT", "ABORTED")))
                        .build())
                .targets(List.of(LambdaFunction.Builder.create(record)
                        .retryAttempts(8)
                        .maxEventAge(Duration.hours(24))
                        .build()))
                .build();
    }

    /**
     * Restore drills on {@code pitr:drillSchedule}: each is an execution of the restore state machine with {@code
     * drill: true} and a target the Plan state picks at random, which the agent restores into its own scratch
     * directory ({@code drill.directory}), checks and removes, and Record records as a drill. Its id, which names the
     * scratch directory, is the schedule event's.
     */
    private void scheduleDrills() {
        Map<String, Object> request = new java.util.TreeMap<>();
        request.put("id", "drill-" + EventField.fromPath("$.id"));
        request.put("drill", true);
        request.put("target", Map.of("kind", "random"));
        Rule.Builder.create(this, "DrillSchedule")
                .description("pitr restore drills: the restore state machine restores to a random point and checks it")
                .schedule(Schedule.expression("cron(" + settings.drillSchedule() + ")"))
                .targets(List.of(SfnStateMachine.Builder.create(restore)
                        .input(RuleTargetInput.fromObject(Map.of("request", request)))
                        .retryAttempts(2)
                        .maxEventAge(Duration.hours(1))
                        .build()))
                .build();
    }

    /**
     * The managed policies an operator attaches to each host's role: the archiving host (capture and snapshots), the
     * restore host ({@code pitr agent}), and whoever starts and follows restores ({@code pitr restore --remote}).
     */
    private void hostPolicies() {
        String objects = bucket.arnForObjects(settings.storagePrefix() + "*");
        List<String> tableRead = List.of("dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query");

        ManagedPolicy archiver = ManagedPolicy.Builder.create(this, "ArchiverPolicy")
                .description("pitr capture and snapshots: write the archive and its catalog")
                .statements(List.of(
                        allow(List.of("s3:ListBucket"), bucket.getBucketArn()),
                        allow(List.of("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"), objects),
                        // what capture removes itself: a partial segment's chunks (and their envelopes) once the
                        // segment is archived whole, and the probe 'pitr check' writes
                        allow(
                                List.of("s3:DeleteObject"),
                                bucket.arnForObjects(settings.storagePrefix() + PartialSegment.KEY_ROOT + "*"),
                                bucket.arnForObjects(settings.storagePrefix()
                                        + ObjectCodec.envelopeKey(PartialSegment.KEY_ROOT) + "*"),
                                bucket.arnForObjects(settings.storagePrefix() + Storage.PROBE_KEY)),
                        // retention ('pitr run' applies it daily) hands expired objects to the lifecycle rule by
                        // tagging them
                        allow(List.of("s3:PutObjectTagging"), objects),
                        allow(
                                concat(
                                        tableRead,
                                        List.of(
                                                "dynamodb:PutItem",
                                                "dynamodb:UpdateItem",
                                                "dynamodb:ConditionCheckItem",
                                                "dynamodb:DeleteItem")),
                                table.getTableArn()),
                        keyThroughServices(List.of("kms:Decrypt", "kms:GenerateDataKey")),
                        envelopeKeys(List.of("kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"))))
                .build();
        ManagedPolicy agent = ManagedPolicy.Builder.create(this, "RestoreAgentPolicy")
                .description(
                        "pitr agent: take restore steps from the activity, read the archive, record replay progress")
                .statements(List.of(
                        allow(List.of("states:GetActivityTask"), activity.getActivityArn()),
                        // a task token is the resource: these actions take no resource-level permissions
                        allow(
                                List.of("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"),
                                "*"),
                        allow(List.of("s3:ListBucket"), bucket.getBucketArn()),
                        allow(List.of("s3:GetObject"), objects),
                        allow(List.of("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"), table.getTableArn()),
                        keyThroughServices(List.of("kms:Decrypt")),
                        envelopeKeys(List.of("kms:Decrypt"))))
                .build();
        String executions = formatArn(ArnComponents.builder()
                .service("states")
                .resource("execution")
                .resourceName(restore.getStateMachineName() + ":*")
                .arnFormat(ArnFormat.COLON_RESOURCE_NAME)
                .build());
        ManagedPolicy operator = ManagedPolicy.Builder.create(this, "RestoreOperatorPolicy")
                .description("pitr restore --remote: start restores and follow them")
                .statements(List.of(
                        allow(List.of("states:StartExecution"), restore.getStateMachineArn()),
                        allow(List.of("states:GetExecutionHistory", "states:StopExecution"), executions),
                        // the restore's progress the agent records, read by its id
                        allow(List.of("dynamodb:GetItem"), table.getTableArn()),
                        keyThroughServices(List.of("kms:Decrypt"))))
                .build();

        NagSuppressions.addResourceSuppressions(archiver, List.of(objectsOnly()));
        NagSuppressions.addResourceSuppressions(
                agent,
                List.of(
                        objectsOnly(),
                        NagPackSuppression.builder()
                                .id("AwsSolutions-IAM5")
                                .reason(
                                        "SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat take no resource-level permissions"
                                                + " (the task token names the task), so their statement must name Resource *.")
                                .appliesTo(List.of("Resource::*"))
                                .build()));
        NagSuppressions.addResourceSuppressions(
                operator,
                List.of(NagPackSuppression.builder()
                        .id("AwsSolutions-IAM5")
                        .reason(
                                "Each restore is an execution with a new name; the statement names only this state machine's"
                                        + " executions.")
                        .appliesTo(List.of(Map.of(
                                "regex",
                                "/^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>"
                                        + ":execution:<Restore[A-Za-z0-9]*\\.Name>:\\*$/g")))
                        .build()));
        output("ArchiverPolicyArn", archiver.getManagedPolicyArn(), "attach to the archiving host's role");
        output("RestoreAgentPolicyArn", agent.getManagedPolicyArn(), "attach to the restore host's role");
        output(
                "RestoreOperatorPolicyArn",
                operator.getManagedPolicyArn(),
                "attach to whoever runs 'pitr restore --remote'");
    }

    /** The key used by S3 (the bucket's encryption) and DynamoDB (the table's) on the caller's behalf, and only so. */
    private PolicyStatement keyThroughServices(List<String> actions) {
        return keyWhere(
                actions,
                "kms:ViaService",
                List.of("s3." + getRegion() + ".amazonaws.com", "dynamodb." + getRegion() + ".amazonaws.com"));
    }

    /**
     * pitr's own envelope keys under the key (encryption.kms_key_id): only with the encryption context every such call
     * carries, so these grants open no other ciphertext made under the key.
     */
    private PolicyStatement envelopeKeys(List<String> actions) {
        return keyWhere(actions, "kms:EncryptionContext:" + KmsKeyWrapper.CONTEXT_NAME, KmsKeyWrapper.CONTEXT_VALUE);
    }

    /** {@code actions} on the key, where the request's {@code conditionKey} equals {@code values}. */
    private PolicyStatement keyWhere(List<String> actions, String conditionKey, Object values) {
        return PolicyStatement.Builder.create()
                .effect(Effect.ALLOW)
                .actions(actions)
                .resources(List.of(key.getKeyArn()))
                .conditions(Map.of("StringEquals", Map.of(conditionKey, values)))
                .build();
    }

    private NagPackSuppression objectsOnly() {
        return NagPackSuppression.builder()
                .id("AwsSolutions-IAM5")
                .reason(
                        "Object actions must name the objects under the archive's prefix, whose keys (segment and snapshot"
                                + " names) are not known at deploy time; the bucket and actions are fixed.")
                .appliesTo(List.of(objectsWildcard()))
                .build();
    }

    private Object objectsWildcard() {
        return Map.of(
                "regex",
                "/^Resource::<Archive[A-Za-z0-9]*\\.Arn>\\/"
                        + settings.storagePrefix().replace("/", "\\/") + "((envelopes\\/)?partial\\/)?\\*$/g");
    }

    private static PolicyStatement allow(List<String> actions, String... resources) {
        return PolicyStatement.Builder.create()
                .effect(Effect.ALLOW)
                .actions(actions)
                .resources(List.of(resources))
                .build();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private void output(String name, String value, String use) {
        CfnOutput.Builder.create(this, name).value(value).description(use).build();
    }
}
