package dev.pitr.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/**
 * The app as {@code cdk deploy} runs it, with every deploy-time choice changed from its default: synthesized into a
 * cloud assembly directory, the way the cdk CLI reads it.
 */
class PitrAppTest {

    @TempDir
    static Path out;

    private static Stack stack;
    private static Template template;

    @BeforeAll
    static void synth() {
        App app = PitrApp.app(
                out.toString(),
                Map.of(
                        "pitr:stackName", "PitrProd",
                        "pitr:storagePrefix", "prod/",
                        "pitr:noncurrentDays", "30",
                        "pitr:snapshotColdDays", 60,
                        "pitr:objectLockDays", "35",
                        "pitr:objectLockMode", "compliance"));
        app.synth();
        stack = (Stack) app.getNode().findChild("PitrProd");
        template = Template.fromStack(stack);
    }

    @Test
    void writesACloudAssemblyTheCliCanDeploy() throws IOException {
        JsonNode manifest =
                new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        assertTrue(manifest.path("artifacts").has("PitrProd"), manifest.toString());
        JsonNode written = new ObjectMapper()
                .readTree(out.resolve("PitrProd.template.json").toFile());
        assertTrue(written.path("Resources").size() > 20);
        try (Stream<Path> staged = Files.list(out)) {
            assertTrue(
                    staged.anyMatch(p -> p.getFileName().toString().startsWith("asset.")),
                    "the Lambda jar is staged as an asset");
        }
    }

    @Test
    void objectLockKeepsEveryNewObjectForTheConfiguredDays() {
        template.hasResourceProperties(
                "AWS::S3::Bucket",
                Match.objectLike(Map.of(
                        "ObjectLockEnabled",
                        true,
                        "ObjectLockConfiguration",
                        Map.of(
                                "ObjectLockEnabled",
                                "Enabled",
                                "Rule",
                                Map.of("DefaultRetention", Map.of("Mode", "COMPLIANCE", "Days", 35))))));
    }

    @Test
    void lifecycleFollowsThePrefixAndPeriods() {
        template.hasResourceProperties(
                "AWS::S3::Bucket",
                Match.objectLike(Map.of(
                        "LifecycleConfiguration",
                        Map.of(
                                "Rules",
                                Match.arrayWith(List.of(
                                        Map.of(
                                                "Id",
                                                "snapshots-to-infrequent-access",
                                                "Status",
                                                "Enabled",
                                                "Prefix",
                                                "prod/snapshots/",
                                                "Transitions",
                                                List.of(Map.of("StorageClass", "STANDARD_IA", "TransitionInDays", 60))),
                                        Map.of(
                                                "Id",
                                                "noncurrent-versions",
                                                "Status",
                                                "Enabled",
                                                "ExpiredObjectDeleteMarker",
                                                true,
                                                "NoncurrentVersionExpiration",
                                                Map.of("NoncurrentDays", 30))))))));
    }

    @Test
    void hostPoliciesReachOnlyTheArchivePrefixAndNagStaysQuiet() {
        template.hasResourceProperties(
                "AWS::IAM::ManagedPolicy",
                Match.objectLike(Map.of(
                        "PolicyDocument",
                        Match.objectLike(Map.of(
                                "Statement",
                                Match.arrayWith(List.of(Match.objectLike(Map.of(
                                        "Action", List.of("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"),
                                        "Resource",
                                                Map.of(
                                                        "Fn::Join",
                                                        List.of(
                                                                "",
                                                                List.of(
                                                                        Map.of(
                                                                                "Fn::GetAtt",
                                                                                List.of(archiveBucket(), "Arn")),
                                                                        "/prod/*"))))))))))));
        Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
        Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    }

    private static String archiveBucket() {
        List<String> ids = template.findResources("AWS::S3::Bucket").keySet().stream()
                .filter(id -> id.startsWith("Archive"))
                .toList();
        assertEquals(1, ids.size());
        return ids.get(0);
    }
}
