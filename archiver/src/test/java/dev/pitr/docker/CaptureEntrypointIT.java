package dev.pitr.docker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;
import dev.pitr.config.Repository;
import dev.pitr.postgres.PostgresServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The wal_capture container's entrypoint run outside a container, against a real primary, S3 and DynamoDB: it finds
 * the cluster's system identifier itself (the configuration leaves {@code catalog.cluster} out, as the compose one
 * does), takes the bucket and the table from the stack's outputs file, as LocalStack's init hook writes it (the
 * configuration names others), runs the start-up checks, creating the slot, and then capture, which archives what the
 * primary writes.
 */
@NeedsAws
class CaptureEntrypointIT {

    static ArchiveFixture fx;
    static Process entrypoint;
    static String withCluster;

    @BeforeAll
    static void setUp() throws Exception {
        fx = new ArchiveFixture(
                "entrypoint",
                ArchiveFixture.Backend.AWS,
                ArchiveFixture.Encryption.NONE,
                // the image is PG_MAJOR's: its scripts run that version's own client programs, which here are 15's
                PostgresServers.PACKAGED);
        withCluster = Files.readString(fx.configFile);
        Files.writeString(
                fx.configFile,
                withCluster
                        .replaceAll("(?m)^  cluster: .*\\n", "")
                        .replace("bucket: " + fx.aws().bucket() + "\n", "bucket: not-the-stacks-bucket\n")
                        .replace("table: " + fx.aws().table() + "\n", "table: not-the-stacks-table\n"));
        Files.writeString(
                fx.base.resolve("outputs.env"),
                "PITR_STORAGE_BUCKET=" + fx.aws().bucket() + "\n" + "PITR_CATALOG_TABLE="
                        + fx.aws().table() + "\n");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (entrypoint != null && entrypoint.isAlive()) {
            entrypoint.destroy();
            entrypoint.waitFor(60, TimeUnit.SECONDS);
        }
        fx.close();
    }

    @Test
    void checksThenCapturesAgainstALocalPrimary() throws Exception {
        Path script = ComposeTopologyTest.DOCKER.resolve("pitr/capture-entrypoint.sh");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString())
                .redirectErrorStream(true)
                .redirectOutput(fx.base.resolve("capture.log").toFile());
        Map<String, String> env = pb.environment();
        env.put("PATH", "/usr/lib/postgresql/15/bin:" + env.get("PATH"));
        env.put("PITR", "java -jar " + fx.base.resolve("pitr.jar"));
        env.put("PITR_CONFIG", fx.configFile.toString());
        env.put("PITR_SERVICE", "wal capture");
        env.put("PITR_PRIMARY_HOST", "127.0.0.1");
        env.put("PITR_PRIMARY_PORT", Integer.toString(fx.primary.port()));
        env.put("PITR_STACK_OUTPUTS", fx.base.resolve("outputs.env").toString());
        entrypoint = pb.start();

        String system = fx.primary.queryOne("SELECT system_identifier FROM pg_control_system()");
        fx.await(
                "the start-up checks to create the slot",
                () -> "1"
                        .equals(fx.primary.queryOne(
                                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'pitr_slot' AND active")));
        // capture has read its configuration; the test's own reads need the identifier back
        Files.writeString(fx.configFile, withCluster);
        fx.primary.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS x");
        fx.awaitArchived(dev.pitr.wal.Lsn.parse(fx.primary.queryOne("SELECT pg_switch_wal()")));
        assertTrue(entrypoint.isAlive(), fx.captureLog());
        assertTrue(fx.captureLog().contains("ok   slot"), fx.captureLog());
        // the catalog read under the primary's own identifier, in the outputs' table, has the segment: capture found
        // both
        try (Repository repo = fx.repository()) {
            assertTrue(
                    repo.catalog().allSegments().stream()
                            .anyMatch(r -> r.name().timeline().value() == 1),
                    system);
        }
    }
}
