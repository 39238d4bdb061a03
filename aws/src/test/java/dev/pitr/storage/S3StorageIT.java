package dev.pitr.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.aws.AwsClients;
import dev.pitr.aws.S3ProxyServer;
import dev.pitr.error.ErrorCode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** The storage contract against a real S3 API server, plus what only S3 has: multipart, prefixes, bucket errors. */
class S3StorageIT extends StorageContractTest {

    private static final AtomicInteger BUCKETS = new AtomicInteger();
    static S3ProxyServer server;
    static S3Client s3;

    @BeforeAll
    static void startServer() {
        server = S3ProxyServer.start();
        s3 = server.client();
    }

    @AfterAll
    static void stopServer() {
        s3.close();
        server.close();
    }

    @Override
    protected Storage newStorage() {
        String bucket = "contract-" + BUCKETS.incrementAndGet();
        server.createBucket(bucket);
        return new S3Storage(s3, new S3Storage.Options(bucket, "", S3Storage.MIN_PART_BYTES, null, null));
    }

    @Override
    protected int largeObjectBytes() {
        return 2 * S3Storage.MIN_PART_BYTES + 12345; // three parts
    }

    @Test
    void expiringAsksForTheLifecycleTagAndDeletesWhereTaggingIsNotImplemented() {
        server.createBucket("expiry");
        Recorder recorder = new Recorder();
        // S3Proxy closes the connection after its 501, so the delete that follows may need a second attempt
        try (S3Client client = recordingClient(recorder, AwsRetryStrategy.defaultRetryStrategy())) {
            Storage st =
                    new S3Storage(client, new S3Storage.Options("expiry", "c1/", S3Storage.MIN_PART_BYTES, null, null));
            st.put("wal/x", Map.of("pitr-kind", "segment"), out -> out.write(7));
            st.put("wal/y", out -> out.write(8));
            recorder.requests.clear();
            st.expire("wal/x");
            assertEquals(
                    List.of("PUT /expiry/c1/wal/x?tagging", "DELETE /expiry/c1/wal/x"),
                    recorder.requests.stream()
                            .map(r -> r.method() + " " + r.encodedPath()
                                    + r.rawQueryParameters().keySet().stream()
                                            .map(q -> "?" + q)
                                            .reduce("", String::concat))
                            .distinct()
                            .toList());
            // S3Proxy implements no object tagging, so the fallback is what this server shows
            assertEquals(List.of("wal/y"), st.list("wal/"));
        }
    }

    @Test
    void aPrefixKeepsClustersApartAndIsInvisibleToCallers() {
        server.createBucket("shared");
        Storage a =
                new S3Storage(s3, new S3Storage.Options("shared", "cluster-a", S3Storage.MIN_PART_BYTES, null, null));
        Storage b =
                new S3Storage(s3, new S3Storage.Options("shared", "cluster-b/", S3Storage.MIN_PART_BYTES, null, null));
        a.put("wal/x", Map.of("pitr-kind", "segment"), out -> out.write(1));
        b.put("wal/y", out -> out.write(2));
        assertEquals(List.of("wal/x"), a.list(""));
        assertEquals(List.of("wal/y"), b.list("wal/"));
    }

    @Test
    void theLargestObjectIsWhatTenThousandGrowingPartsHoldUpToFiveTebibytes() {
        // 1,000 parts each of 5, 10, ... 1280 MiB (the last two thousands alike): 3,835,000 MiB
        assertEquals(
                3_835_000L << 20,
                new S3Storage(s3, new S3Storage.Options("any", "", S3Storage.MIN_PART_BYTES, null, null))
                        .largestObject()
                        .getAsLong());
        assertEquals(
                5L << 40,
                new S3Storage(s3, new S3Storage.Options("any", "", 64 << 20, null, null))
                        .largestObject()
                        .getAsLong());
    }

    @Test
    void aMissingBucketIsItsOwnError() {
        Storage none =
                new S3Storage(s3, new S3Storage.Options("no-such-bucket", "", S3Storage.MIN_PART_BYTES, null, null));
        StorageException e = assertThrows(StorageException.class, () -> none.put("k", out -> out.write(1)));
        assertEquals(ErrorCode.REPOSITORY_NOT_FOUND, e.code());
    }

    @Test
    void wrongCredentialsAreDeniedAndWriteNothing() {
        try (S3Client bad = AwsClients.s3(
                server.settings().withCredentials("pitrtest", "wrong").withMaxAttempts(2))) {
            Storage s = new S3Storage(bad, new S3Storage.Options("shared2", "", S3Storage.MIN_PART_BYTES, null, null));
            server.createBucket("shared2");
            StorageException e = assertThrows(StorageException.class, () -> s.put("k", out -> out.write(1)));
            assertEquals(ErrorCode.ACCESS_DENIED, e.code());
        }
        assertEquals(
                List.of(),
                new S3Storage(s3, new S3Storage.Options("shared2", "", S3Storage.MIN_PART_BYTES, null, null)).list(""));
    }

    /** Records the headers of every request the client sends. */
    private static final class Recorder implements ExecutionInterceptor {
        final List<SdkHttpRequest> requests = new CopyOnWriteArrayList<>();

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            requests.add(context.httpRequest());
        }

        List<String> header(String name) {
            return requests.stream()
                    .map(r -> r.firstMatchingHeader(name).orElse("-"))
                    .toList();
        }
    }

    private static S3Client recordingClient(Recorder recorder) {
        return recordingClient(recorder, AwsRetryStrategy.doNotRetry());
    }

    private static S3Client recordingClient(
            Recorder recorder, software.amazon.awssdk.retries.api.RetryStrategy retries) {
        return S3Client.builder()
                .endpointOverride(server.endpoint())
                .forcePathStyle(true)
                .region(Region.of(S3ProxyServer.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                // one attempt per call, so the recorded requests are exactly the calls S3Storage made
                .overrideConfiguration(o -> o.addExecutionInterceptor(recorder).retryStrategy(retries))
                .build();
    }

    @Test
    void theStorageClassIsSetOnSinglePutsAndMultipartUploads() {
        server.createBucket("classes");
        Recorder rec = new Recorder();
        try (S3Client c = recordingClient(rec)) {
            Storage s = new S3Storage(
                    c, new S3Storage.Options("classes", "", S3Storage.MIN_PART_BYTES, "STANDARD_IA", null));
            s.put("small", out -> out.write(new byte[100]));
            assertEquals(
                    "STANDARD_IA",
                    c.headObject(r -> r.bucket("classes").key("small")).storageClassAsString());
            s.put("large", out -> out.write(new byte[S3Storage.MIN_PART_BYTES + 1]));
        }
        // PutObject, HeadObject, then CreateMultipartUpload, two UploadParts and CompleteMultipartUpload
        assertEquals(List.of("STANDARD_IA", "-", "STANDARD_IA", "-", "-", "-"), rec.header("x-amz-storage-class"));
        assertTrue(
                rec.header("Content-MD5").get(0).length() == 24,
                rec.header("Content-MD5").toString());
    }

    @Test
    void sseKmsIsRequestedWithItsKeyAndARefusalStoresNothing() {
        // S3Proxy implements no server-side encryption and answers 501: what is checked here is that pitr asks for
        // SSE-KMS with the configured key on every object-creating request, and that a refusal leaves nothing behind
        server.createBucket("kms");
        Recorder rec = new Recorder();
        String key = "arn:aws:kms:us-east-1:111122223333:key/pitr-test";
        try (S3Client c = recordingClient(rec)) {
            Storage s = new S3Storage(c, new S3Storage.Options("kms", "", S3Storage.MIN_PART_BYTES, null, key));
            assertThrows(StorageException.class, () -> s.put("small", out -> out.write(new byte[100])));
            assertThrows(
                    StorageException.class,
                    () -> s.put("large", out -> out.write(new byte[S3Storage.MIN_PART_BYTES + 1])));
            assertEquals(List.of(), s.list(""));
        }
        List<SdkHttpRequest> creating = rec.requests.stream()
                .filter(r -> r.method() == SdkHttpMethod.PUT
                        || r.rawQueryParameters().containsKey("uploads"))
                .toList();
        assertEquals(2, creating.size(), rec.requests.toString());
        for (SdkHttpRequest r : creating) {
            assertEquals(
                    "aws:kms",
                    r.firstMatchingHeader("x-amz-server-side-encryption").orElse(null));
            assertEquals(
                    key,
                    r.firstMatchingHeader("x-amz-server-side-encryption-aws-kms-key-id")
                            .orElse(null));
        }
    }
}
