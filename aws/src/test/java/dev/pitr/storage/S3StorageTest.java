package dev.pitr.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pitr.aws.AwsClients;
import dev.pitr.aws.S3ProxyServer;
import dev.pitr.error.ErrorCode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/** The storage contract against a real S3 API server, plus what only S3 has: multipart, prefixes, bucket errors. */
class S3StorageTest extends StorageContractTest {

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
  void aPrefixKeepsClustersApartAndIsInvisibleToCallers() {
    server.createBucket("shared");
    Storage a = new S3Storage(s3, new S3Storage.Options("shared", "cluster-a", S3Storage.MIN_PART_BYTES, null, null));
    Storage b = new S3Storage(s3, new S3Storage.Options("shared", "cluster-b/", S3Storage.MIN_PART_BYTES, null, null));
    a.put("wal/x", Map.of("pitr-kind", "segment"), out -> out.write(1));
    b.put("wal/y", out -> out.write(2));
    assertEquals(List.of("wal/x"), a.list(""));
    assertEquals(List.of("wal/y"), b.list("wal/"));
  }

  @Test
  void aMissingBucketIsItsOwnError() {
    Storage none = new S3Storage(s3, new S3Storage.Options("no-such-bucket", "", S3Storage.MIN_PART_BYTES, null, null));
    StorageException e = assertThrows(StorageException.class, () -> none.put("k", out -> out.write(1)));
    assertEquals(ErrorCode.REPOSITORY_NOT_FOUND, e.code());
  }

  @Test
  void wrongCredentialsAreDeniedAndWriteNothing() {
    try (S3Client bad = AwsClients.s3(server.settings().withCredentials("pitrtest", "wrong").withMaxAttempts(2))) {
      Storage s = new S3Storage(bad, new S3Storage.Options("shared2", "", S3Storage.MIN_PART_BYTES, null, null));
      server.createBucket("shared2");
      StorageException e = assertThrows(StorageException.class, () -> s.put("k", out -> out.write(1)));
      assertEquals(ErrorCode.ACCESS_DENIED, e.code());
    }
    assertEquals(List.of(), new S3Storage(s3, new S3Storage.Options("shared2", "", S3Storage.MIN_PART_BYTES, null, null)).list(""));
  }
}
