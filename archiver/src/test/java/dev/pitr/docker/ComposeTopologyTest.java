package dev.pitr.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.postgres.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker/compose.yaml} against the documented topology (services, volumes, health checks, start order,
 * profiles), the scripts beside it against shellcheck and CRLF, the images and the compose file against baked-in
 * credentials, and the compose file against the compose tool's own validation, which needs no engine.
 */
class ComposeTopologyTest {

    static final Path DOCKER = Path.of(System.getProperty("pitr.docker.dir", "../docker"))
            .toAbsolutePath()
            .normalize();
    static final Path LOCALSTACK = DOCKER.resolveSibling("localstack");

    static JsonNode compose() throws IOException {
        return new ObjectMapper(new YAMLFactory())
                .readTree(DOCKER.resolve("compose.yaml").toFile());
    }

    @Test
    void servicesAndVolumesAreTheDocumentedTopology() throws IOException {
        JsonNode c = compose();
        assertEquals(
                Set.of("primary", "standby", "localstack", "wal_capture", "restore", "pgadmin"),
                names(c.get("services")));
        assertEquals(
                Set.of("primary-data", "standby-data", "spool", "restore-data", "cluster", "stack"),
                names(c.get("volumes")));
        JsonNode s = c.get("services");
        for (String healthy : List.of("primary", "standby", "localstack")) {
            assertTrue(s.get(healthy).has("healthcheck"), healthy + " has a health check");
        }
        assertEquals(
                "service_healthy", s.at("/standby/depends_on/primary/condition").asText());
        for (String dep : List.of("primary", "standby", "localstack")) {
            assertEquals(
                    "service_healthy",
                    s.at("/wal_capture/depends_on/" + dep + "/condition").asText(),
                    dep);
        }
        assertEquals(
                "unless-stopped", s.at("/wal_capture/restart").asText(), "capture keeps running when the primary dies");
        assertEquals("capture-entrypoint.sh", s.at("/wal_capture/entrypoint/0").asText());
        assertEquals("restore-entrypoint.sh", s.at("/restore/entrypoint/0").asText());
        assertEquals("standby-entrypoint.sh", s.at("/standby/entrypoint/0").asText());
        assertEquals("restore", s.at("/restore/profiles/0").asText(), "the restore target comes up only for a restore");
        assertEquals("pgadmin", s.at("/pgadmin/profiles/0").asText());
        assertEquals(
                "primary-data:/var/lib/postgresql/data",
                s.at("/primary/volumes/0").asText());
        assertEquals("spool:/var/lib/pitr/spool", s.at("/wal_capture/volumes/0").asText());
    }

    /**
     * LocalStack deploys pitr's own stack: its init hook and the synthesized cloud assembly are mounted, it waits for
     * the primary's identifier, it is healthy only once the stack's outputs are written, and the pitr containers read
     * those outputs. Its image is the one the {@code -Plocalstack} tests start.
     */
    @Test
    void localStackDeploysTheStackAndHandsItsOutputsToThePitrContainers() throws IOException {
        JsonNode s = compose().get("services");
        assertEquals(dev.pitr.aws.LocalStackAws.IMAGE, s.at("/localstack/image").asText());
        List<String> volumes = new ArrayList<>();
        s.at("/localstack/volumes").forEach(v -> volumes.add(v.asText()));
        assertTrue(volumes.contains("../localstack/init/ready.d:/etc/localstack/init/ready.d:ro"), volumes.toString());
        assertTrue(volumes.contains("../localstack/cdk.out:/opt/pitr/cdk.out:ro"), volumes.toString());
        assertTrue(volumes.contains("cluster:/var/lib/pitr/cluster:ro"), volumes.toString());
        assertTrue(volumes.contains("stack:/var/lib/pitr/stack"), volumes.toString());
        assertTrue(Files.isExecutable(LOCALSTACK.resolve("init/ready.d/10-pitr-stack.sh")));
        assertEquals("cluster:/var/lib/pitr/cluster", s.at("/primary/volumes/1").asText());
        assertEquals(
                "service_healthy",
                s.at("/localstack/depends_on/primary/condition").asText());
        assertTrue(s.at("/localstack/healthcheck/test/1").asText().contains("test -s /var/lib/pitr/stack/outputs.env"));
        for (String svc : List.of("wal_capture", "restore")) {
            List<String> v = new ArrayList<>();
            s.at("/" + svc + "/volumes").forEach(x -> v.add(x.asText()));
            assertTrue(v.contains("stack:/var/lib/pitr/stack:ro"), svc + " " + v);
        }
        for (String entrypoint : List.of("pitr/capture-entrypoint.sh", "pitr/restore-entrypoint.sh")) {
            assertTrue(
                    Files.readString(DOCKER.resolve(entrypoint)).contains("/var/lib/pitr/stack/outputs.env"),
                    entrypoint);
        }
    }

    @Test
    void credentialsComeFromDocumentedEnvFilesNotTheImages() throws IOException {
        JsonNode s = compose().get("services");
        Set<String> envFiles = new TreeSet<>();
        s.forEach(svc -> {
            if (svc.has("env_file")) {
                envFiles.add(svc.get("env_file").asText());
            }
            svc.path("environment")
                    .fields()
                    .forEachRemaining(e -> assertFalse(
                            e.getKey().matches(".*(PASSWORD|SECRET|TOKEN|PASSPHRASE).*"),
                            e.getKey() + " set in compose.yaml"));
        });
        assertEquals(Set.of("env/postgres.env", "env/pitr.env", "env/pgadmin.env"), envFiles);
        for (String f : envFiles) {
            assertTrue(Files.isRegularFile(DOCKER.resolve(f + ".example")), f + ".example documents " + f);
        }
        for (Path f : files(p -> true)) {
            String text = Files.readString(f);
            if (f.getFileName().toString().equals("Dockerfile")) {
                assertFalse(
                        text.matches("(?s).*\\b(ENV|ARG)\\b[^\\n]*(PASSWORD|SECRET|PASSPHRASE|TOKEN).*"),
                        f + " bakes in a secret");
            }
        }
    }

    /**
     * The pitr containers' configuration as pitr loads it, with {@code env/pitr.env.example} and the stack's outputs in
     * the environment: every {@code PITR_} name in the env file and in the outputs the init hook writes is a setting
     * pitr reads, and what the outputs give wins over the file's placeholder names.
     */
    @Test
    void theContainersConfigurationLoadsWithTheEnvFileAndTheStacksOutputs() throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(DOCKER.resolve("env/pitr.env.example"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
        }
        Matcher m = Pattern.compile("echo \"(PITR_[A-Z_]+)=")
                .matcher(Files.readString(LOCALSTACK.resolve("init/ready.d/10-pitr-stack.sh")));
        while (m.find()) {
            env.put(m.group(1), "from-the-stack");
        }
        Set<String> known = new TreeSet<>();
        for (Key k : Key.values()) {
            known.add(k.envName());
        }
        Set<String> unknown = new TreeSet<>(env.keySet());
        unknown.removeAll(known);
        assertEquals(Set.of(), unknown, "names pitr does not read");
        assertTrue(env.size() >= 12, env.toString());
        Config c = Config.load(DOCKER.resolve("pitr/pitr.yaml"), env);
        assertEquals("from-the-stack", c.get(Key.STORAGE_BUCKET).orElseThrow());
        assertEquals("from-the-stack", c.get(Key.CATALOG_TABLE).orElseThrow());
        assertEquals(
                "from-the-stack", c.get(Key.STEPFUNCTIONS_STATE_MACHINE_ARN).orElseThrow());
        for (Key k : List.of(Key.STORAGE_ENDPOINT, Key.CATALOG_ENDPOINT, Key.STEPFUNCTIONS_ENDPOINT)) {
            assertEquals("http://localstack:4566", c.get(k).orElseThrow(), k.path());
        }
        assertEquals("replicator", c.get(Key.PRIMARY_USER).orElseThrow());
    }

    @Test
    void scriptsHaveLfLineEndingsAShebangAndPassShellcheck() throws Exception {
        List<Path> scripts = new ArrayList<>(files(p -> p.toString().endsWith(".sh")));
        try (Stream<Path> l = Files.walk(LOCALSTACK)) {
            l.filter(p -> p.toString().endsWith(".sh") && !p.toString().contains("/cdk.out/"))
                    .sorted()
                    .forEach(scripts::add);
        }
        assertTrue(scripts.size() >= 7, scripts.toString());
        for (Path f : scripts) {
            byte[] b = Files.readAllBytes(f);
            assertFalse(new String(b, StandardCharsets.ISO_8859_1).contains("\r"), f + " has a CR");
            assertTrue(new String(b, StandardCharsets.US_ASCII).startsWith("#!/usr/bin/env bash\n"), f + " shebang");
            assertTrue(Files.isExecutable(f), f + " is executable");
        }
        List<String> cmd = new ArrayList<>(List.of("shellcheck", "--severity=style"));
        scripts.forEach(p -> cmd.add(p.toString()));
        Processes.Result r = Processes.run(cmd);
        assertEquals(
                0, r.exitCode(), "shellcheck (Debian package 'shellcheck'; ./run-tests installs it):\n" + r.output());
    }

    /** The compose tool's own validation, on a copy with each env file made from its example. */
    @Test
    void theComposeToolAcceptsTheFile(@TempDir Path tmp) throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Processes.run(List.of("cp", "-r", DOCKER.toString(), LOCALSTACK.toString(), repo.toString()));
        for (String f : List.of("postgres", "pitr", "pgadmin")) {
            Files.copy(repo.resolve("docker/env/" + f + ".env.example"), repo.resolve("docker/env/" + f + ".env"));
        }
        String file = repo.resolve("docker/compose.yaml").toString();
        Processes.Result v2 = Processes.run(List.of("docker", "compose", "-f", file, "config", "--quiet"));
        Processes.Result r = v2.ok() ? v2 : Processes.run(List.of("docker-compose", "-f", file, "config", "--quiet"));
        assertEquals(
                0,
                r.exitCode(),
                "docker compose config (or docker-compose; ./run-tests installs Debian's docker-compose):\n"
                        + v2.output() + "\n" + r.output());
    }

    private static Set<String> names(JsonNode n) {
        Set<String> out = new TreeSet<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static List<Path> files(java.util.function.Predicate<Path> p) throws IOException {
        try (Stream<Path> s = Files.walk(DOCKER)) {
            return s.filter(Files::isRegularFile).filter(p).sorted().toList();
        }
    }
}
