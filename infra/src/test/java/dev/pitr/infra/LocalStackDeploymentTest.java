package dev.pitr.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LocalStack deployment's inputs, checked here where LocalStack cannot run: {@code localstack/synth.sh} run as
 * the README gives it, and the cloud assembly it writes against what the init hook ({@code
 * localstack/init/ready.d/10-pitr-stack.sh}) does with it: the runtime LocalStack has, only file assets, only the
 * ClusterId parameter to pass, the bootstrap names the hook sets up, and each output the hook writes named as the
 * pitr setting the stack documents for it. {@code LocalStackDeploymentIT} (with {@code -Plocalstack}) deploys it.
 */
class LocalStackDeploymentTest {

    static final Path LOCALSTACK = Path.of(System.getProperty("pitr.localstack.dir", "../localstack"))
            .toAbsolutePath()
            .normalize();
    static final Path HOOK = LOCALSTACK.resolve("init/ready.d/10-pitr-stack.sh");

    @TempDir
    static Path out;

    static JsonNode template;
    static JsonNode assets;
    static String hook;

    @BeforeAll
    static void synth() throws Exception {
        Process p = new ProcessBuilder("bash", LOCALSTACK.resolve("synth.sh").toString(), out.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), output);
        ObjectMapper json = new ObjectMapper();
        template = json.readTree(out.resolve("Pitr.template.json").toFile());
        assets = json.readTree(out.resolve("Pitr.assets.json").toFile());
        hook = Files.readString(HOOK);
    }

    @Test
    void theFunctionsRunOnARuntimeLocalStackHas() {
        List<String> runtimes = new ArrayList<>();
        template.get("Resources").forEach(r -> {
            if (r.path("Type").asText().equals("AWS::Lambda::Function")) {
                runtimes.add(r.at("/Properties/Runtime").asText());
            }
        });
        assertEquals(List.of("java21", "java21", "java21"), runtimes);
    }

    @Test
    void everyAssetIsAFileTheHookPublishesUnderTheBootstrapNames() {
        assertEquals(0, assets.path("dockerImages").size(), "the hook publishes no images");
        assertTrue(assets.path("files").size() >= 2);
        assets.path("files").forEach(a -> {
            assertEquals("file", a.at("/source/packaging").asText(), a.toString());
            assertTrue(Files.isRegularFile(out.resolve(a.at("/source/path").asText())), a.toString());
            a.path("destinations")
                    .forEach(d -> assertEquals(
                            "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}",
                            d.path("bucketName").asText()));
        });
        assertTrue(hook.contains("assets=\"cdk-hnb659fds-assets-$account-$region\""));
        assertEquals(
                "/cdk-bootstrap/hnb659fds/version",
                template.at("/Parameters/BootstrapVersion/Default").asText());
        assertTrue(hook.contains("--name /cdk-bootstrap/hnb659fds/version"));
    }

    @Test
    void theOnlyParameterWithoutADefaultIsTheClusterTheHookPasses() {
        Set<String> required = new TreeSet<>();
        template.get("Parameters").properties().forEach(e -> {
            if (!e.getValue().has("Default")) {
                required.add(e.getKey());
            }
        });
        assertEquals(Set.of("ClusterId"), required);
        assertTrue(hook.contains("--parameter-overrides \"ClusterId=$cluster\""));
    }

    /** Each output the hook maps is in the stack, and goes to the setting its description names first. */
    @Test
    void eachOutputTheHookWritesBecomesTheSettingTheStackDocuments() {
        Map<String, String> mapped = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^\\s+(\\w+)\\) echo \"(PITR_[A-Z_]+)=\\$value\" ;;$")
                .matcher(hook);
        while (m.find()) {
            mapped.put(m.group(1), m.group(2));
        }
        assertEquals(Set.of("BucketName", "TableName", "KeyArn", "ActivityArn", "StateMachineArn"), mapped.keySet());
        JsonNode outputs = template.get("Outputs");
        mapped.forEach((output, env) -> {
            assertTrue(outputs.has(output), output + " is not an output of the stack");
            String key = outputs.get(output).path("Description").asText().split("[ ,]", -1)[0];
            assertEquals("PITR_" + key.toUpperCase(Locale.ROOT).replace('.', '_'), env, output + ": " + key);
        });
        assertFalse(hook.contains("\r"));
    }
}
