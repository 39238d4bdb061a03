package dev.pitr.aws;

import dev.pitr.catalog.CatalogException;
import dev.pitr.error.ErrorCode;
import dev.pitr.storage.StorageException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Turns AWS SDK failures into the error catalogue: a missing bucket or table and refused credentials get their own codes. */
public final class AwsErrors {

    private static final Set<String> DENIED = Set.of(
            "AccessDenied",
            "AccessDeniedException",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
            "UnrecognizedClientException",
            "InvalidSignatureException",
            "ExpiredToken",
            "ExpiredTokenException",
            "MissingAuthenticationToken",
            "InvalidClientTokenId");

    /** 4xx answers that a later attempt may not get: throttling, a conflict, a timeout. */
    private static final Set<String> RETRYABLE_4XX = Set.of(
            "RequestTimeout",
            "RequestTimeoutException",
            "ThrottlingException",
            "Throttling",
            "SlowDown",
            "ProvisionedThroughputExceededException",
            "RequestLimitExceeded",
            "TransactionConflictException",
            "TransactionInProgressException",
            "TransactionCanceledException",
            "ConditionalCheckFailedException",
            "OperationAborted",
            "BadDigest",
            "IncompleteBody",
            "InvalidDigest",
            "RequestTimeTooSkewed",
            "ExpiredToken",
            "ExpiredTokenException");

    private AwsErrors() {}

    /**
     * Whether the service rejected the request itself, so that repeating it cannot help: a 4xx that is not a denial,
     * a missing bucket or table, throttling, a conflict or a timeout.
     */
    public static boolean isRejected(SdkException e) {
        if (!(e instanceof AwsServiceException a) || a.statusCode() < 400 || a.statusCode() >= 500) {
            return false;
        }
        int status = a.statusCode();
        return status != 403
                && status != 404
                && status != 408
                && status != 409
                && status != 429
                && !a.isThrottlingException()
                && !isDenied(e)
                && !RETRYABLE_4XX.contains(errorCode(e))
                && !(e instanceof ResourceNotFoundException);
    }

    public static boolean isMissingBucket(S3Exception e) {
        return e instanceof NoSuchBucketException || "NoSuchBucket".equals(errorCode(e));
    }

    public static StorageException storage(String what, SdkException e) {
        String detail = what + ": " + message(e);
        if (e instanceof S3Exception s3 && isMissingBucket(s3)) {
            return new StorageException(
                    ErrorCode.REPOSITORY_NOT_FOUND,
                    detail + " (the bucket does not exist)",
                    "check storage.bucket and storage.region, or create the bucket with 'pitr init'",
                    e);
        }
        if (e instanceof S3Exception s3 && s3.statusCode() == 404 && errorCode(e) == null) {
            return new StorageException(
                    ErrorCode.REPOSITORY_NOT_FOUND,
                    detail + " (not found)",
                    "check storage.bucket and storage.region, or create the bucket with 'pitr init'",
                    e);
        }
        if (isDenied(e)) {
            return new StorageException(
                    ErrorCode.ACCESS_DENIED,
                    detail + " (access denied)",
                    "check the AWS credentials (default chain or aws.access_key_id) and that they may use the bucket",
                    e);
        }
        if (isRejected(e)) {
            return new StorageException(
                    ErrorCode.SERVICE_REJECTED,
                    detail,
                    "the storage service refuses this request itself, so repeating it does not help: check that"
                            + " storage.endpoint is S3 or an S3 API that supports it, and storage.region",
                    e);
        }
        return new StorageException(
                ErrorCode.STORAGE_UNAVAILABLE,
                detail,
                "check that storage.endpoint is reachable; the command can be repeated safely",
                e);
    }

    public static CatalogException catalog(String what, SdkException e) {
        String detail = what + ": " + message(e);
        if (e instanceof ResourceNotFoundException) {
            return new CatalogException(
                    ErrorCode.REPOSITORY_NOT_FOUND,
                    detail + " (the table does not exist)",
                    "check catalog.table and catalog.region, or create the table with 'pitr init'",
                    e);
        }
        if (isDenied(e)) {
            return new CatalogException(
                    ErrorCode.ACCESS_DENIED,
                    detail + " (access denied)",
                    "check the AWS credentials (default chain or aws.access_key_id) and that they may use the table",
                    e);
        }
        if (isRejected(e)) {
            return new CatalogException(
                    ErrorCode.SERVICE_REJECTED,
                    detail,
                    "the catalog service refuses this request itself, so repeating it does not help: check that"
                            + " catalog.endpoint is DynamoDB or an implementation with transactions, and catalog.region",
                    e);
        }
        return new CatalogException(
                ErrorCode.CATALOG_UNAVAILABLE,
                detail,
                "check that catalog.endpoint is reachable; the command can be repeated safely",
                e);
    }

    static boolean isDenied(SdkException e) {
        if (e instanceof AwsServiceException a) {
            return a.statusCode() == 403 || DENIED.contains(errorCode(e));
        }
        return false;
    }

    private static String errorCode(SdkException e) {
        if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
            return a.awsErrorDetails().errorCode();
        }
        return null;
    }

    private static String message(SdkException e) {
        if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
            String code = a.awsErrorDetails().errorCode();
            return (code == null ? "" : code + ": ") + a.awsErrorDetails().errorMessage() + " (HTTP " + a.statusCode()
                    + ")";
        }
        return e.getMessage();
    }
}
