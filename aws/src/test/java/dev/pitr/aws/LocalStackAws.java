package dev.pitr.aws;

import java.net.URI;
import java.util.UUID;
import org.opentest4j.TestAbortedException;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * S3 and DynamoDB in a LocalStack container of their own, started through Testcontainers from the image {@code
 * pitr.it.localstack.image} (default {@link #IMAGE}, the compose topology's). Without a Docker engine, {@link
 * #start()} aborts the calling test with the reason, so JUnit and Maven report it skipped.
 */
public final class LocalStackAws {

    /** The LocalStack image the compose topology runs too. */
    public static final String IMAGE = "localstack/localstack:3.8";

    private LocalStackAws() {}

    /** Starts the container, or aborts the test when no Docker engine answers; closing the result stops it. */
    public static TestAws start() {
        requireDocker();
        LocalStackContainer c = container().withServices("s3", "dynamodb");
        c.start();
        URI endpoint = c.getEndpoint();
        // LocalStack takes any secret key: one of its own, so that a test looking for leaked secrets can tell it apart
        String secret = "pitr-it-secret-" + UUID.randomUUID();
        return new ConfiguredAws(endpoint, endpoint, c.getRegion(), c.getAccessKey(), secret, c::stop);
    }

    /** Whether a Docker engine answers, so that containers can start. */
    public static boolean dockerAnswers() {
        return DockerClientFactory.instance().isDockerAvailable();
    }

    /** Why no container can start here (no Docker engine), or null when one can. */
    public static String unavailable() {
        return dockerAnswers()
                ? null
                : TestAws.MODE + "=localstack needs a Docker engine and none answers here (DOCKER_HOST or"
                        + " /var/run/docker.sock); without -Plocalstack the same tests run against S3Proxy and DynamoDB Local";
    }

    /** A container, not yet started, of the image {@code pitr.it.localstack.image} names (default {@link #IMAGE}). */
    public static LocalStackContainer container() {
        return new LocalStackContainer(DockerImageName.parse(System.getProperty("pitr.it.localstack.image", IMAGE))
                .asCompatibleSubstituteFor("localstack/localstack"));
    }

    /** Aborts the calling test, so that it reports skipped, when Docker is absent. */
    public static void requireDocker() {
        String reason = unavailable();
        if (reason != null) {
            throw new TestAbortedException(reason);
        }
    }
}
