package dev.pitr.storage;

import dev.pitr.aws.AwsErrors;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.Tag;

/**
 * Storage in an S3 bucket under a key prefix. An object small enough for one part is sent with one PutObject; a longer
 * stream (a snapshot, of unknown length) becomes a multipart upload that is completed only after the writer finished,
 * so a failed write leaves nothing visible and is aborted. Every request body carries a Content-MD5 that S3 checks
 * before it accepts the bytes, and nothing is reported stored before S3 has confirmed it. Reads that lose their
 * connection mid-body resume with a range request pinned to the object's ETag.
 */
public final class S3Storage implements Storage {

    /**
     * The object tag that hands an object to the bucket's lifecycle rule for expiry (value {@code true}). Retention
     * sets it only after the catalog no longer calls the object restorable and the grace period has passed; the
     * deployed bucket keeps the expired version as noncurrent for a further period before it is gone.
     */
    public static final String EXPIRED_TAG = "pitr-expired";

    /** S3's smallest allowed part (all but the last). */
    public static final int MIN_PART_BYTES = 5 * 1024 * 1024;

    private static final int MAX_PARTS = 10_000;
    private static final int READ_RESUMES = 8;
    /** Parts on their way to S3 while the writer fills the next one: uploads overlap compression and encryption. */
    private static final int PARTS_IN_FLIGHT = 2;

    private static final java.util.concurrent.ExecutorService PART_UPLOADS =
            java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "pitr-s3-part");
                t.setDaemon(true);
                return t;
            });

    /** How objects are written. {@code storageClass} and {@code kmsKeyId} may be null (bucket defaults). */
    public record Options(String bucket, String prefix, int partBytes, String storageClass, String kmsKeyId) {
        public Options {
            if (partBytes < MIN_PART_BYTES) {
                throw new IllegalArgumentException("part size must be at least " + MIN_PART_BYTES + " bytes");
            }
            prefix = prefix == null || prefix.isEmpty() ? "" : prefix.endsWith("/") ? prefix : prefix + "/";
        }
    }

    private final S3Client s3;
    private final Options options;

    public S3Storage(S3Client s3, Options options) {
        this.s3 = s3;
        this.options = options;
    }

    /**
     * A streamed object is uploaded in at most {@value #MAX_PARTS} parts of the sizes {@link Upload} gives them, and S3
     * holds 5 TiB in one object at most.
     */
    @Override
    public java.util.OptionalLong largestObject() {
        long sum = 0;
        for (int i = 0; i < MAX_PARTS; i++) {
            sum += partBytes(options.partBytes(), i);
        }
        return java.util.OptionalLong.of(Math.min(sum, 5L << 40));
    }

    /** The size of part {@code started} (from 0): doubled every 1,000 parts, 8 times at most, under 2 GiB. */
    private static int partBytes(int first, int started) {
        long size = (long) first << Math.min(started / 1000, 8);
        return (int) Math.min(size, Integer.MAX_VALUE - 8);
    }

    @Override
    public long put(String key, Map<String, String> metadata, Writer writer) {
        Metadata.validate(metadata);
        String full = fullKey(key);
        Upload upload = new Upload(full, metadata);
        try {
            writer.writeTo(upload);
            return upload.finish();
        } catch (IOException | RuntimeException e) {
            upload.abort();
            if (e instanceof SdkException sdk) {
                throw AwsErrors.storage("cannot write " + key + " to " + describe(), sdk);
            }
            if (e instanceof StorageException se) {
                throw se;
            }
            throw new StorageException("cannot write " + key + " to " + describe() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream open(String key) {
        try {
            return new ResumingStream(key, get(fullKey(key), 0, null));
        } catch (NoSuchKeyException e) {
            throw new ObjectNotFoundException(key);
        } catch (SdkException e) {
            throw AwsErrors.storage("cannot read " + key + " from " + describe(), e);
        }
    }

    @Override
    public Optional<Long> stat(String key) {
        return head(key).map(HeadObjectResponse::contentLength);
    }

    @Override
    public Map<String, String> metadata(String key) {
        return head(key).orElseThrow(() -> new ObjectNotFoundException(key)).metadata();
    }

    @Override
    public List<String> list(String prefix) {
        List<String> keys = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(
                            r -> r.bucket(options.bucket()).prefix(options.prefix() + prefix))
                    .contents()) {
                keys.add(o.key().substring(options.prefix().length()));
            }
        } catch (SdkException e) {
            throw AwsErrors.storage("cannot list " + describe(), e);
        } catch (java.io.UncheckedIOException e) {
            // a page's body cut off while the iteration reads it (a connection reset) is a storage failure too
            throw AwsErrors.storage(
                    "cannot list " + describe(),
                    software.amazon.awssdk.core.exception.SdkClientException.create(e.getMessage(), e));
        }
        keys.sort(null);
        return keys;
    }

    @Override
    public void delete(String key) {
        try {
            s3.deleteObject(r -> r.bucket(options.bucket()).key(fullKey(key)));
        } catch (SdkException e) {
            throw AwsErrors.storage("cannot delete " + key + " from " + describe(), e);
        }
    }

    /** One DeleteObjects request per thousand keys; a key that does not exist is no error, as for one delete. */
    @Override
    public void deleteAll(List<String> keys) {
        for (int from = 0; from < keys.size(); from += 1000) {
            List<ObjectIdentifier> ids = keys.subList(from, Math.min(keys.size(), from + 1000)).stream()
                    .map(k -> ObjectIdentifier.builder().key(fullKey(k)).build())
                    .toList();
            try {
                var r = s3.deleteObjects(d ->
                        d.bucket(options.bucket()).delete(x -> x.objects(ids).quiet(true)));
                if (r.hasErrors() && !r.errors().isEmpty()) {
                    var e = r.errors().get(0);
                    throw new StorageException(
                            "cannot delete " + e.key() + " from " + describe() + ": " + e.code() + " " + e.message(),
                            null);
                }
            } catch (S3Exception e) {
                if (e.statusCode() != 501) {
                    throw AwsErrors.storage("cannot delete " + ids.size() + " objects from " + describe(), e);
                }
                // a store without DeleteObjects: one request per key
                keys.subList(from, Math.min(keys.size(), from + 1000)).forEach(this::delete);
            } catch (SdkException e) {
                throw AwsErrors.storage("cannot delete " + ids.size() + " objects from " + describe(), e);
            }
        }
    }

    /**
     * Tags the object {@link #EXPIRED_TAG}. A store without object tagging (it answers 501 Not Implemented, as S3Proxy
     * does) gets a plain delete instead, as local storage does: the grace period has already passed, and a versioned
     * bucket keeps the old version as noncurrent.
     */
    @Override
    public void expire(String key) {
        try {
            s3.putObjectTagging(r -> r.bucket(options.bucket())
                    .key(fullKey(key))
                    .tagging(t -> t.tagSet(
                            Tag.builder().key(EXPIRED_TAG).value("true").build())));
        } catch (NoSuchKeyException e) {
            // already gone
        } catch (S3Exception e) {
            if (e.statusCode() != 501) {
                throw AwsErrors.storage("cannot tag " + key + " in " + describe() + " for expiry", e);
            }
            delete(key);
        } catch (SdkException e) {
            throw AwsErrors.storage("cannot tag " + key + " in " + describe() + " for expiry", e);
        }
    }

    @Override
    public String describe() {
        return "s3://" + options.bucket() + "/" + options.prefix();
    }

    /** Throws a clear error unless the bucket exists and these credentials may read it. */
    public void verifyBucket() {
        try {
            s3.headBucket(r -> r.bucket(options.bucket()));
        } catch (SdkException e) {
            throw AwsErrors.storage("cannot use bucket " + options.bucket(), e);
        }
    }

    private Optional<HeadObjectResponse> head(String key) {
        try {
            return Optional.of(s3.headObject(r -> r.bucket(options.bucket()).key(fullKey(key))));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && !AwsErrors.isMissingBucket(e)) {
                return Optional.empty(); // HEAD responses have no body, so S3 cannot say NoSuchKey
            }
            throw AwsErrors.storage("cannot stat " + key + " in " + describe(), e);
        } catch (SdkException e) {
            throw AwsErrors.storage("cannot stat " + key + " in " + describe(), e);
        }
    }

    private ResponseInputStream<GetObjectResponse> get(String full, long from, String etag) {
        GetObjectRequest.Builder b =
                GetObjectRequest.builder().bucket(options.bucket()).key(full);
        if (from > 0) {
            b.range("bytes=" + from + "-");
        }
        if (etag != null) {
            b.ifMatch(etag);
        }
        return s3.getObject(b.build());
    }

    private String fullKey(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.contains("..")) {
            throw new IllegalArgumentException("invalid storage key: " + key);
        }
        return options.prefix() + key;
    }

    private static String md5(byte[] b, int len) {
        try {
            MessageDigest md = MessageDigest.getInstance("MD5");
            md.update(b, 0, len);
            return Base64.getEncoder().encodeToString(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Buffers one part at a time and uploads it on another thread, with at most {@value #PARTS_IN_FLIGHT} parts on their
     * way while the writer fills the next (so memory stays at a few parts). Nothing becomes visible until {@link
     * #finish}: a single PutObject for a short stream, or CompleteMultipartUpload, after every part is confirmed, for a
     * long one. A failed part fails the next write or the finish. Part sizes double every thousand parts so that a stream
     * of any length fits S3's ten thousand.
     */
    private final class Upload extends OutputStream {
        private final String full;
        private final Map<String, String> metadata;
        private final List<CompletedPart> parts = new ArrayList<>();
        private final java.util.ArrayDeque<java.util.concurrent.Future<CompletedPart>> inFlight =
                new java.util.ArrayDeque<>();
        private int partsStarted;
        private byte[] buf;
        private int len;
        private long total;
        private String uploadId;

        Upload(String full, Map<String, String> metadata) {
            this.full = full;
            this.metadata = metadata;
            this.buf = new byte[Math.min(options.partBytes(), 1 << 20)];
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int n) {
            while (n > 0) {
                if (len == buf.length) {
                    if (buf.length < partBytes()) {
                        buf = java.util.Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, partBytes()));
                    } else {
                        uploadPart();
                    }
                }
                int k = Math.min(n, buf.length - len);
                System.arraycopy(b, off, buf, len, k);
                len += k;
                off += k;
                n -= k;
                total += k;
            }
        }

        @Override
        public void close() {
            // compressors close their sink when they finish; the upload is completed by finish() only
        }

        private int partBytes() {
            return S3Storage.partBytes(options.partBytes(), partsStarted);
        }

        private void uploadPart() {
            if (partsStarted >= MAX_PARTS) {
                throw new StorageException("object " + full + " needs more than " + MAX_PARTS + " parts", null);
            }
            if (uploadId == null) {
                CreateMultipartUploadRequest.Builder c = CreateMultipartUploadRequest.builder()
                        .bucket(options.bucket())
                        .key(full)
                        .metadata(metadata);
                if (options.storageClass() != null) {
                    c.storageClass(options.storageClass());
                }
                if (options.kmsKeyId() != null) {
                    c.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(options.kmsKeyId());
                }
                uploadId = s3.createMultipartUpload(c.build()).uploadId();
            }
            int number = ++partsStarted;
            byte[] body = java.util.Arrays.copyOf(buf, len);
            String id = uploadId;
            inFlight.add(PART_UPLOADS.submit(() -> {
                String etag = s3.uploadPart(
                                r -> r.bucket(options.bucket())
                                        .key(full)
                                        .uploadId(id)
                                        .partNumber(number)
                                        .contentLength((long) body.length)
                                        .contentMD5(md5(body, body.length)),
                                RequestBody.fromBytes(body))
                        .eTag();
                return CompletedPart.builder().partNumber(number).eTag(etag).build();
            }));
            len = 0;
            while (inFlight.size() > PARTS_IN_FLIGHT) {
                awaitOldest();
            }
        }

        /** Waits for the oldest part in flight; its failure is this write's. Parts complete into {@code parts} in order. */
        private void awaitOldest() {
            try {
                parts.add(inFlight.poll().get());
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new StorageException("part upload of " + full + " failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("interrupted while uploading " + full, e);
            }
        }

        long finish() {
            if (uploadId == null) {
                PutObjectRequest.Builder p = PutObjectRequest.builder()
                        .bucket(options.bucket())
                        .key(full)
                        .metadata(metadata)
                        .contentLength((long) len)
                        .contentMD5(md5(buf, len));
                if (options.storageClass() != null) {
                    p.storageClass(options.storageClass());
                }
                if (options.kmsKeyId() != null) {
                    p.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(options.kmsKeyId());
                }
                s3.putObject(p.build(), RequestBody.fromBytes(java.util.Arrays.copyOf(buf, len)));
                return total;
            }
            if (len > 0) {
                uploadPart();
            }
            while (!inFlight.isEmpty()) {
                awaitOldest();
            }
            s3.completeMultipartUpload(
                    r -> r.bucket(options.bucket()).key(full).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
            return total;
        }

        void abort() {
            // parts still on their way finish or fail first, so that the abort is the last word on this upload
            for (java.util.concurrent.Future<CompletedPart> f : inFlight) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException | RuntimeException e) {
                    // the upload is being aborted anyway
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            inFlight.clear();
            if (uploadId == null) {
                return;
            }
            try {
                s3.abortMultipartUpload(
                        r -> r.bucket(options.bucket()).key(full).uploadId(uploadId));
            } catch (SdkException ignored) {
                // an upload left open is invisible and is removed by the bucket's abort-incomplete-uploads lifecycle
                // rule
            }
        }
    }

    /** A GET body that reopens at its position, pinned to the same ETag, when the connection fails mid-body. */
    private final class ResumingStream extends FilterInputStream {
        private final String key;
        private final String etag;
        private long pos;
        private int resumes;
        private boolean ended;

        ResumingStream(String key, ResponseInputStream<GetObjectResponse> first) {
            super(first);
            this.key = key;
            this.etag = first.response().eTag();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int n) throws IOException {
            while (true) {
                try {
                    int k = in.read(b, off, n);
                    if (k > 0) {
                        pos += k;
                    } else if (k < 0) {
                        ended = true;
                    }
                    return k;
                } catch (IOException | SdkException e) {
                    reopen(e);
                }
            }
        }

        private void reopen(Exception cause) throws IOException {
            try {
                in.close();
            } catch (IOException | SdkException ignored) {
                // the broken connection is discarded either way
            }
            while (true) {
                if (++resumes > READ_RESUMES) {
                    throw new IOException("reading " + key + " failed " + resumes + " times at byte " + pos, cause);
                }
                try {
                    Thread.sleep(backoff(resumes).toMillis());
                    in = get(fullKey(key), pos, etag);
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while resuming " + key, e);
                } catch (S3Exception e) {
                    if (e.statusCode() == 412 || e.statusCode() == 404) {
                        throw new IOException(key + " was replaced or removed while it was read", e);
                    }
                    cause = e;
                } catch (SdkException e) {
                    cause = e;
                }
            }
        }

        @Override
        public long skip(long n) throws IOException {
            long k = super.skip(n);
            pos += k;
            return k;
        }

        /**
         * Closed before its end (a failed or abandoned read), the connection is dropped rather than the rest of the body
         * downloaded to keep it.
         */
        @Override
        public void close() throws IOException {
            if (!ended && in instanceof ResponseInputStream<?> r) {
                r.abort();
            }
            super.close();
        }
    }

    /** Full jitter: a random wait up to 100 ms times 2^attempt, capped at 10 s. */
    static Duration backoff(int attempt) {
        long cap = Math.min(10_000, 100L << Math.min(attempt, 10));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap + 1));
    }
}
