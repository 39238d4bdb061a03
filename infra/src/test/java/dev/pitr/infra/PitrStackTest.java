package dev.pitr.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.DynamoDbCatalog;
import dev.pitr.functions.FunctionEnvironment;
import dev.pitr.restore.workflow.RestoreDefinition;
import dev.pitr.storage.S3Storage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The stack with default settings, synthesized once: what its template promises. */
class PitrStackTest {

    private static Stack stack;
    private static Template template;

    @BeforeAll
    static void synth() {
        App app = PitrApp.app(null, Map.of());
        stack = (Stack) app.getNode().findChild("Pitr");
        template = Template.fromStack(stack);
    }

    @Test
    void theStateMachineLogsUnderTheVendedLogsPrefix() {
        template.hasResourceProperties(
                "AWS::Logs::LogGroup", Map.of("LogGroupName", "/aws/vendedlogs/states/Pitr-restore"));
    }

    @Test
    void everyExecutionThatEndsUnrecordedGoesToTheRecordFunction() {
        String machine = logicalId("AWS::StepFunctions::StateMachine", "Restore");
        template.hasResourceProperties(
                "AWS::Events::Rule",
                Match.objectLike(Map.of(
                        "EventPattern",
                        Map.of(
                                "source", List.of("aws.states"),
                                "detail-type", List.of("Step Functions Execution Status Change"),
                                "detail",
                                        Map.of(
                                                "stateMachineArn",
                                                List.of(Map.of("Ref", machine)),
                                                "status",
                                                List.of("FAILED", "TIMED_OUT", "ABORTED"))),
                        "Targets",
                        List.of(Match.objectLike(Map.of(
                                "Arn",
                                Map.of("Fn::GetAtt", List.of(logicalId("AWS::Lambda::Function", "Record"), "Arn")),
                                "RetryPolicy",
                                Map.of("MaximumEventAgeInSeconds", 86400, "MaximumRetryAttempts", 8)))))));
        template.hasResourceProperties(
                "AWS::Lambda::Permission",
                Match.objectLike(Map.of(
                        "Principal",
                        "events.amazonaws.com",
                        "FunctionName",
                        Map.of("Fn::GetAtt", List.of(logicalId("AWS::Lambda::Function", "Record"), "Arn")))));
    }

    @Test
    void theDeployedDefinitionWaitsThePickupTimeForAnAgentAndOutlastsItsSteps() throws Exception {
        App app = PitrApp.app(null, Map.of("pitr:agentPickupSeconds", 120));
        Map<String, Object> props = map(Template.fromStack((Stack) app.getNode().findChild("Pitr"))
                .findResources("AWS::StepFunctions::StateMachine")
                .values()
                .iterator()
                .next()
                .get("Properties"));
        com.fasterxml.jackson.databind.JsonNode def =
                new com.fasterxml.jackson.databind.ObjectMapper().readTree((String) props.get("DefinitionString"));
        assertEquals(
                120,
                def.path("States").path("PrepareTarget").path("TimeoutSeconds").asInt());
        assertEquals(
                RestoreDefinition.stepsBound(def) + 60,
                def.path("TimeoutSeconds").asLong(),
                "the execution outlasts its steps");
    }

    @Test
    void cdkNagFindsNothing() {
        Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
        Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    }

    @Test
    void everySuppressionIsExpectedAndGivesAReason() {
        Set<String> suppressed = new TreeSet<>();
        for (Map.Entry<String, Map<String, Object>> r : template.toJSON().entrySet().stream()
                .filter(e -> e.getKey().equals("Resources"))
                .findFirst()
                .map(e -> resources(e.getValue()))
                .orElseThrow()
                .entrySet()) {
            Map<String, Object> cdkNag =
                    map(map(r.getValue().getOrDefault("Metadata", Map.of())).get("cdk_nag"));
            if (cdkNag == null) {
                continue;
            }
            for (Object s : (List<?>) cdkNag.get("rules_to_suppress")) {
                Map<String, Object> rule = map(s);
                String reason = (String) rule.get("reason");
                assertTrue(
                        reason != null && reason.length() > 60,
                        r.getKey() + " suppresses " + rule.get("id") + " without a written reason");
                suppressed.add(rule.get("id") + " " + r.getKey().replaceAll("[0-9A-F]{8}$", ""));
            }
        }
        // Adding a suppression is a decision; this list is where it is reviewed.
        assertEquals(
                new TreeSet<>(List.of(
                        "AwsSolutions-S1 AccessLogs",
                        "AwsSolutions-IAM5 RestoreRole",
                        "AwsSolutions-IAM5 RestoreRoleDefaultPolicy",
                        "AwsSolutions-IAM5 RetentionRole",
                        "AwsSolutions-IAM5 RetentionRoleDefaultPolicy",
                        "AwsSolutions-IAM5 ArchiverPolicy",
                        "AwsSolutions-IAM5 RestoreAgentPolicy",
                        "AwsSolutions-IAM5 RestoreOperatorPolicy")),
                suppressed);
    }

    @Test
    void bucketIsVersionedPrivateEncryptedAndWithoutObjectLockByDefault() {
        template.resourceCountIs("AWS::S3::Bucket", 2);
        template.hasResourceProperties(
                "AWS::S3::Bucket",
                Match.objectLike(Map.of(
                        "VersioningConfiguration", Map.of("Status", "Enabled"),
                        "PublicAccessBlockConfiguration",
                                Map.of(
                                        "BlockPublicAcls",
                                        true,
                                        "BlockPublicPolicy",
                                        true,
                                        "IgnorePublicAcls",
                                        true,
                                        "RestrictPublicBuckets",
                                        true),
                        "BucketEncryption",
                                Map.of(
                                        "ServerSideEncryptionConfiguration",
                                        List.of(Match.objectLike(Map.of(
                                                "BucketKeyEnabled",
                                                true,
                                                "ServerSideEncryptionByDefault",
                                                Match.objectLike(Map.of("SSEAlgorithm", "aws:kms")))))),
                        "LoggingConfiguration", Match.objectLike(Map.of("LogFilePrefix", "archive/")),
                        "ObjectLockEnabled", Match.absent())));
        template.hasResource(
                "AWS::S3::Bucket",
                Match.objectLike(Map.of(
                        "Properties",
                        Match.objectLike(Map.of("VersioningConfiguration", Map.of("Status", "Enabled"))),
                        "DeletionPolicy",
                        "Retain")));
    }

    @Test
    void lifecycleExpiresTaggedObjectsAbortsUploadsAndCoolsSnapshots() {
        template.hasResourceProperties(
                "AWS::S3::Bucket",
                Match.objectLike(Map.of(
                        "VersioningConfiguration", Map.of("Status", "Enabled"),
                        "LifecycleConfiguration",
                                Map.of(
                                        "Rules",
                                        List.of(
                                                Map.of(
                                                        "Id",
                                                        "expire-tagged",
                                                        "Status",
                                                        "Enabled",
                                                        "ExpirationInDays",
                                                        1,
                                                        "TagFilters",
                                                        List.of(Map.of("Key", S3Storage.EXPIRED_TAG, "Value", "true"))),
                                                Map.of(
                                                        "Id",
                                                        "abort-incomplete-uploads",
                                                        "Status",
                                                        "Enabled",
                                                        "AbortIncompleteMultipartUpload",
                                                        Map.of("DaysAfterInitiation", 1)),
                                                Map.of(
                                                        "Id",
                                                        "snapshots-to-infrequent-access",
                                                        "Status",
                                                        "Enabled",
                                                        "Prefix",
                                                        "snapshots/",
                                                        "Transitions",
                                                        List.of(Map.of(
                                                                "StorageClass",
                                                                "STANDARD_IA",
                                                                "TransitionInDays",
                                                                30))),
                                                Map.of(
                                                        "Id",
                                                        "noncurrent-versions",
                                                        "Status",
                                                        "Enabled",
                                                        "ExpiredObjectDeleteMarker",
                                                        true,
                                                        "NoncurrentVersionExpiration",
                                                        Map.of("NoncurrentDays", 7)))))));
    }

    @Test
    void bucketPolicyRefusesPlainHttp() {
        template.hasResourceProperties(
                "AWS::S3::BucketPolicy",
                Match.objectLike(Map.of(
                        "Bucket", Map.of("Ref", logicalId("AWS::S3::Bucket", "Archive")),
                        "PolicyDocument",
                                Match.objectLike(Map.of(
                                        "Statement",
                                        Match.arrayWith(List.of(Match.objectLike(Map.of(
                                                "Effect",
                                                "Deny",
                                                "Action",
                                                "s3:*",
                                                "Principal",
                                                Map.of("AWS", "*"),
                                                "Condition",
                                                Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))))));
    }

    @Test
    void catalogTableMatchesTheCatalogsKeysAndKeepsItsHistory() {
        template.resourceCountIs("AWS::DynamoDB::Table", 1);
        template.hasResource(
                "AWS::DynamoDB::Table",
                Match.objectLike(Map.of(
                        "DeletionPolicy",
                        "Retain",
                        "Properties",
                        Match.objectLike(Map.of(
                                "BillingMode", "PAY_PER_REQUEST",
                                "KeySchema",
                                        List.of(
                                                Map.of("AttributeName", DynamoDbCatalog.PK, "KeyType", "HASH"),
                                                Map.of("AttributeName", DynamoDbCatalog.SK, "KeyType", "RANGE")),
                                "PointInTimeRecoverySpecification", Map.of("PointInTimeRecoveryEnabled", true),
                                "SSESpecification", Match.objectLike(Map.of("SSEEnabled", true, "SSEType", "KMS")),
                                "DeletionProtectionEnabled", true)))));
        template.hasResourceProperties("AWS::KMS::Key", Match.objectLike(Map.of("EnableKeyRotation", true)));
    }

    @Test
    void stateMachineDefinitionIsTheAslFile() {
        Map<String, Object> props = properties("AWS::StepFunctions::StateMachine", "Restore");
        assertEquals(RestoreDefinition.text(), props.get("DefinitionString"));
        Set<String> placeholders = new HashSet<>();
        Matcher m = Pattern.compile("\\$\\{([A-Za-z]+)}").matcher(RestoreDefinition.text());
        while (m.find()) {
            placeholders.add(m.group(1));
        }
        Map<String, Object> substitutions = map(props.get("DefinitionSubstitutions"));
        assertEquals(placeholders, substitutions.keySet());
        assertEquals(
                Map.of("Fn::GetAtt", List.of(logicalId("AWS::Lambda::Function", "Plan"), "Arn")),
                substitutions.get(RestoreDefinition.PLAN_FUNCTION));
        assertEquals(
                Map.of("Fn::GetAtt", List.of(logicalId("AWS::Lambda::Function", "Record"), "Arn")),
                substitutions.get(RestoreDefinition.RECORD_FUNCTION));
        assertEquals(
                Map.of("Ref", logicalId("AWS::StepFunctions::Activity", "Agent")),
                substitutions.get(RestoreDefinition.AGENT_ACTIVITY));
        assertEquals(true, map(props.get("TracingConfiguration")).get("Enabled"));
        assertEquals("ALL", map(props.get("LoggingConfiguration")).get("Level"));
    }

    @Test
    void functionsRunHandlersThatAreInTheLambdaJar() throws IOException {
        Path jar = Path.of(System.getProperty("pitr.lambda.jar"));
        List<String> handlers = new ArrayList<>();
        for (String name : List.of("Plan", "Record", "Retention")) {
            Map<String, Object> props = properties("AWS::Lambda::Function", name);
            assertEquals("java25", props.get("Runtime"));
            assertEquals(List.of("arm64"), props.get("Architectures"));
            Map<String, Object> env = map(map(props.get("Environment")).get("Variables"));
            assertTrue(env.keySet()
                    .containsAll(Set.of(FunctionEnvironment.CATALOG_TABLE, FunctionEnvironment.CLUSTER_ID)));
            assertEquals(Map.of("Ref", "ClusterId"), env.get(FunctionEnvironment.CLUSTER_ID));
            handlers.add(((String) props.get("Handler")).replaceAll("::handleRequest$", ""));
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (String h : handlers) {
                assertNotNull(zip.getEntry(h.replace('.', '/') + ".class"), h + " is not in " + jar);
            }
            assertTrue(zip.getEntry("dev/pitr/restore/workflow/" + RestoreDefinition.RESOURCE) != null);
            assertTrue(zip.getEntry("picocli/CommandLine.class") == null, "the Lambda jar carries the CLI");
        }
    }

    @Test
    void retentionRunsDailyOverTheArchiveAndOnlyTagsObjects() {
        Map<String, Object> rule = properties("AWS::Events::Rule", "RetentionSchedule");
        assertEquals("cron(17 3 * * ? *)", rule.get("ScheduleExpression"));
        Map<String, Object> target = map(((List<?>) rule.get("Targets")).get(0));
        assertEquals(
                Map.of("Fn::GetAtt", List.of(logicalId("AWS::Lambda::Function", "Retention"), "Arn")),
                target.get("Arn"));
        assertEquals("{\"dryRun\":false,\"scheduled\":true}", target.get("Input"));
        Map<String, Object> env =
                map(map(properties("AWS::Lambda::Function", "Retention").get("Environment"))
                        .get("Variables"));
        assertEquals(
                Map.of("Ref", logicalId("AWS::S3::Bucket", "Archive")), env.get(FunctionEnvironment.STORAGE_BUCKET));
        assertEquals("", env.get(FunctionEnvironment.STORAGE_PREFIX));
        assertEquals(15 * 60, properties("AWS::Lambda::Function", "Retention").get("Timeout"));
        List<String> actions = actions(policyOf("RetentionRole")).stream()
                .flatMap(List::stream)
                .toList();
        assertTrue(
                actions.containsAll(List.of("s3:PutObjectTagging", "s3:ListBucket", "dynamodb:DeleteItem")),
                actions.toString());
        assertFalse(actions.contains("s3:DeleteObject"), "retention leaves deletion to the lifecycle rule");
        assertFalse(actions.contains("s3:GetObject"), "retention never reads a body");
    }

    @Test
    void noStatementGrantsEverythingAndOnlyLoggingAndTracingNameAnyResource() {
        for (Map<String, Object> statement : statements()) {
            if (statement.get("Effect").equals("Deny")) {
                continue; // the TLS-only guard denies s3:* by design
            }
            List<String> actions = strings(statement.get("Action"));
            for (String a : actions) {
                assertFalse(a.equals("*") || a.endsWith(":*"), "a statement grants " + a + ": " + statement);
            }
            if (strings(statement.get("Resource")).contains("*")) {
                for (String a : actions) {
                    // a task token is the resource of SendTask*: they take no resource-level permissions
                    assertTrue(
                            a.startsWith("logs:") || a.startsWith("xray:") || a.startsWith("states:SendTask"),
                            a + " is granted on every resource");
                }
            }
        }
    }

    @Test
    void functionRolesReachOnlyTheirLogsTableAndKey() {
        Map<String, Object> plan = policyOf("PlanRole");
        assertEquals(
                List.of(
                        List.of("logs:CreateLogStream", "logs:PutLogEvents"),
                        List.of("dynamodb:GetItem", "dynamodb:Query"),
                        List.of("kms:Decrypt")),
                actions(plan));
        assertEquals(
                Map.of(
                        "StringEquals",
                        Map.of(
                                "kms:ViaService",
                                List.of(
                                        Map.of(
                                                "Fn::Join",
                                                List.of(
                                                        "",
                                                        List.of(
                                                                "s3.",
                                                                Map.of("Ref", "AWS::Region"),
                                                                ".amazonaws.com"))),
                                        Map.of(
                                                "Fn::Join",
                                                List.of(
                                                        "",
                                                        List.of(
                                                                "dynamodb.",
                                                                Map.of("Ref", "AWS::Region"),
                                                                ".amazonaws.com")))))),
                statementsOf(plan).get(2).get("Condition"),
                "the key only as the table's encryption");
        Map<String, Object> record = policyOf("RecordRole");
        assertEquals(
                List.of("dynamodb:GetItem", "dynamodb:PutItem"),
                actions(record).get(1),
                "the Record role holds only what it uses");
        assertFalse(actions(record).stream().flatMap(List::stream).anyMatch(a -> a.startsWith("s3:")));
    }

    @Test
    void hostPoliciesSplitArchivingRestoringAndStartingRestores() {
        Map<String, Object> archiver = properties("AWS::IAM::ManagedPolicy", "ArchiverPolicy");
        List<String> archiverActions =
                actions(archiver).stream().flatMap(List::stream).toList();
        assertTrue(archiverActions.containsAll(List.of("s3:PutObject", "dynamodb:PutItem", "kms:GenerateDataKey")));
        List<Map<String, Object>> deletes = statementsOf(archiver).stream()
                .filter(st -> strings(st.get("Action")).contains("s3:DeleteObject"))
                .toList();
        assertEquals(1, deletes.size());
        assertEquals(List.of("s3:DeleteObject"), strings(deletes.get(0).get("Action")));
        assertTrue(
                deletes.get(0).get("Resource").toString().contains("/partial/*")
                        && deletes.get(0).get("Resource").toString().contains("/envelopes/partial/*")
                        && deletes.get(0).get("Resource").toString().contains("/.pitr-check"),
                "capture deletes only partial segments' chunks and the check's probe: " + deletes);
        assertFalse(archiverActions.stream().anyMatch(a -> a.startsWith("states:")));

        Map<String, Object> agent = properties("AWS::IAM::ManagedPolicy", "RestoreAgentPolicy");
        List<String> agentActions =
                actions(agent).stream().flatMap(List::stream).toList();
        assertTrue(agentActions.containsAll(List.of(
                "states:GetActivityTask",
                "states:SendTaskSuccess",
                "states:SendTaskFailure",
                "states:SendTaskHeartbeat",
                "s3:GetObject",
                "kms:Decrypt")));
        assertFalse(agentActions.contains("s3:PutObject"), "the restore host only reads the archive");
        assertFalse(agentActions.contains("states:StartExecution"));
        Map<String, Object> poll = statementsOf(agent).get(0);
        assertEquals(Map.of("Ref", logicalId("AWS::StepFunctions::Activity", "Agent")), poll.get("Resource"));

        Map<String, Object> operator = properties("AWS::IAM::ManagedPolicy", "RestoreOperatorPolicy");
        List<String> operatorActions =
                actions(operator).stream().flatMap(List::stream).toList();
        assertTrue(operatorActions.containsAll(List.of("states:StartExecution", "states:GetExecutionHistory")));
        assertFalse(operatorActions.stream().anyMatch(a -> a.startsWith("s3:")));
    }

    @Test
    void outputsNameTheConfigKeysTheyFill() {
        Map<String, Map<String, Object>> outputs = template.findOutputs("*");
        assertTrue(
                outputs.keySet()
                        .containsAll(List.of(
                                "BucketName",
                                "TableName",
                                "KeyArn",
                                "ActivityArn",
                                "StateMachineArn",
                                "ArchiverPolicyArn",
                                "RestoreAgentPolicyArn",
                                "RestoreOperatorPolicyArn")),
                outputs.toString());
        assertTrue(((String) outputs.get("StateMachineArn").get("Description"))
                .contains("stepfunctions.state_machine_arn"));
    }

    @Test
    void drillsOnTheirScheduleAreExecutionsOfTheRestoreStateMachineWithARandomTargetAndANewId() throws Exception {
        assertTrue(
                template.findResources("AWS::Events::Rule").keySet().stream()
                        .noneMatch(id -> id.startsWith("DrillSchedule")),
                "no drills unless pitr:drillSchedule is set");
        App app = PitrApp.app(null, Map.of("pitr:drillSchedule", "0 4 ? * SUN *"));
        Stack drilling = (Stack) app.getNode().findChild("Pitr");
        Template t = Template.fromStack(drilling);
        Annotations.fromStack(drilling).hasNoError("*", Match.anyValue());
        Annotations.fromStack(drilling).hasNoWarning("*", Match.anyValue());
        Map<String, Object> rule = t.findResources("AWS::Events::Rule").entrySet().stream()
                .filter(e -> e.getKey().startsWith("DrillSchedule"))
                .map(e -> map(e.getValue().get("Properties")))
                .findFirst()
                .orElseThrow();
        assertEquals("cron(0 4 ? * SUN *)", rule.get("ScheduleExpression"));
        Map<String, Object> target = map(((List<?>) rule.get("Targets")).get(0));
        String machine = t.findResources("AWS::StepFunctions::StateMachine")
                .keySet()
                .iterator()
                .next();
        assertEquals(Map.of("Ref", machine), target.get("Arn"));
        // the event's id makes each drill's id, and with it its scratch directory, new
        Map<String, Object> transformer = map(target.get("InputTransformer"));
        Map<String, Object> paths = map(transformer.get("InputPathsMap"));
        String field = paths.entrySet().stream()
                .filter(e -> e.getValue().equals("$.id"))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseThrow(() -> new AssertionError(paths.toString()));
        String input = ((String) transformer.get("InputTemplate")).replace("<" + field + ">", "7f3c2e1a-0b9d");
        var request = dev.pitr.restore.workflow.RestoreJob.JSON.readTree(input).get("request");
        assertEquals("drill-7f3c2e1a-0b9d", request.get("id").asText(), input);
        assertTrue(dev.pitr.restore.workflow.RestoreJob.drill(request), input);
        assertTrue(dev.pitr.restore.workflow.RestoreJob.randomTarget(request), input);
        // the role the rule starts executions with may start this state machine's and nothing else
        String role = map(target.get("RoleArn")).get("Fn::GetAtt") instanceof List<?> l ? (String) l.get(0) : null;
        List<Map<String, Object>> statements = t.findResources("AWS::IAM::Policy").values().stream()
                .map(r -> map(r.get("Properties")))
                .filter(p -> ((List<?>) p.get("Roles")).contains(Map.of("Ref", role)))
                .flatMap(p -> ((List<?>) map(p.get("PolicyDocument")).get("Statement")).stream())
                .map(PitrStackTest::map)
                .toList();
        assertEquals(1, statements.size(), statements.toString());
        assertEquals("states:StartExecution", statements.get(0).get("Action"));
        assertEquals(Map.of("Ref", machine), statements.get(0).get("Resource"));
    }

    // ---- template helpers

    private static String logicalId(String type, String prefix) {
        List<String> ids = template.findResources(type).keySet().stream()
                .filter(id -> id.matches(prefix + "[0-9A-F]{8}"))
                .toList();
        assertEquals(
                1,
                ids.size(),
                type + " " + prefix + ": " + template.findResources(type).keySet());
        return ids.get(0);
    }

    private static Map<String, Object> properties(String type, String prefix) {
        return map(template.findResources(type).get(logicalId(type, prefix)).get("Properties"));
    }

    private static Map<String, Object> policyOf(String rolePrefix) {
        String role = logicalId("AWS::IAM::Role", rolePrefix);
        return template.findResources("AWS::IAM::Policy").values().stream()
                .map(r -> map(r.get("Properties")))
                .filter(p ->
                        strings(p.get("Roles")).isEmpty() && ((List<?>) p.get("Roles")).contains(Map.of("Ref", role)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no policy for " + role));
    }

    private static List<Map<String, Object>> statementsOf(Map<String, Object> policyProperties) {
        return ((List<?>) map(policyProperties.get("PolicyDocument")).get("Statement"))
                .stream().map(PitrStackTest::map).toList();
    }

    private static List<List<String>> actions(Map<String, Object> policyProperties) {
        return statementsOf(policyProperties).stream()
                .map(s -> strings(s.get("Action")))
                .toList();
    }

    private static List<Map<String, Object>> statements() {
        List<Map<String, Object>> all = new ArrayList<>();
        for (String type : List.of("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy")) {
            for (Map<String, Object> r : template.findResources(type).values()) {
                all.addAll(statementsOf(map(r.get("Properties"))));
            }
        }
        return all;
    }

    private static List<String> strings(Object v) {
        if (v instanceof String s) {
            return List.of(s);
        }
        if (v instanceof List<?> l) {
            return l.stream()
                    .filter(String.class::isInstance)
                    .map(String.class::cast)
                    .toList();
        }
        return List.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object v) {
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> resources(Object v) {
        return (Map<String, Map<String, Object>>) v;
    }
}
