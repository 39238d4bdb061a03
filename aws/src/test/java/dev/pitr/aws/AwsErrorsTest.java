package dev.pitr.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Errors by kind: what a later attempt may fix is retried as ever; what the service rejects itself is said once. */
class AwsErrorsTest {

    static DynamoDbException dynamo(int status, String code) {
        return (DynamoDbException) DynamoDbException.builder()
                .statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode(code)
                        .errorMessage(code + " happened")
                        .build())
                .build();
    }

    static S3Exception s3(int status, String code) {
        return (S3Exception) S3Exception.builder()
                .statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode(code)
                        .errorMessage(code + " happened")
                        .build())
                .build();
    }

    @Test
    void anOperationTheServiceDoesNotKnowIsRejectedWithItsCodeAndAHint() {
        var e = AwsErrors.catalog("cannot record segment", dynamo(400, "UnknownOperationException"));
        assertEquals(ErrorCode.SERVICE_REJECTED, e.code());
        assertTrue(e.getMessage().contains("UnknownOperationException"), e.getMessage());
        assertTrue(e.hint().contains("transactions"), e.hint());
        assertEquals(
                ErrorCode.SERVICE_REJECTED,
                AwsErrors.storage("cannot put", s3(400, "InvalidRequest")).code());
        assertEquals(
                ErrorCode.SERVICE_REJECTED,
                AwsErrors.catalog("x", dynamo(400, "ValidationException")).code());
    }

    @Test
    void throttlingConflictsTimeoutsAndServerErrorsStayTransient() {
        for (String code : java.util.List.of(
                "ThrottlingException",
                "ProvisionedThroughputExceededException",
                "RequestLimitExceeded",
                "TransactionConflictException")) {
            assertFalse(AwsErrors.isRejected(dynamo(400, code)), code);
            assertEquals(
                    ErrorCode.CATALOG_UNAVAILABLE,
                    AwsErrors.catalog("x", dynamo(400, code)).code(),
                    code);
        }
        assertFalse(AwsErrors.isRejected(s3(503, "SlowDown")));
        assertFalse(AwsErrors.isRejected(s3(500, "InternalError")));
        assertFalse(AwsErrors.isRejected(s3(408, "RequestTimeout")));
        assertFalse(AwsErrors.isRejected(s3(409, "OperationAborted")));
        assertFalse(AwsErrors.isRejected(SdkClientException.create("connection reset")));
        assertEquals(
                ErrorCode.STORAGE_UNAVAILABLE,
                AwsErrors.storage("x", s3(503, "SlowDown")).code());
    }

    @Test
    void deniedAndMissingKeepTheirOwnCodes() {
        assertEquals(
                ErrorCode.ACCESS_DENIED,
                AwsErrors.storage("x", s3(403, "AccessDenied")).code());
        assertEquals(
                ErrorCode.ACCESS_DENIED,
                AwsErrors.catalog("x", dynamo(400, "AccessDeniedException")).code());
        assertEquals(
                ErrorCode.REPOSITORY_NOT_FOUND,
                AwsErrors.storage("x", s3(404, "NoSuchBucket")).code());
    }
}
