package dev.pitr.aws;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Marks a test class whose tests need the S3 and DynamoDB of {@link TestAws}. When those are to be LocalStack
 * containers and no Docker engine answers, the class is disabled with the reason, so JUnit and Maven report each of
 * its tests skipped rather than passed or failed. The classes carry the tag {@value #TAG}, by which {@code
 * -Plocalstack} runs exactly them.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(NeedsAws.TAG)
@ExtendWith(NeedsAws.Condition.class)
public @interface NeedsAws {

    /** The JUnit tag of these classes, which {@code -Plocalstack} selects. */
    String TAG = "aws";

    /** Disables the class when {@link TestAws#start()} could not start its services here. */
    final class Condition implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            String reason = TestAws.unavailable();
            if (reason == null) {
                return ConditionEvaluationResult.enabled("the test services are available");
            }
            // Maven's summary counts skipped tests without their reason: say it where the run's output shows it
            System.out.println("SKIPPED " + context.getDisplayName() + ": " + reason);
            return ConditionEvaluationResult.disabled(reason);
        }
    }
}
