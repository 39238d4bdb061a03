package dev.pitr.config;

import dev.pitr.aws.AwsClients;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.services.sfn.SfnClient;

/** The Step Functions client and ARNs the {@code stepfunctions.*} settings name, for the agent and remote restores. */
public final class StepFunctions {

    private StepFunctions() {}

    public static SfnClient client(Config config, Duration attemptTimeout) {
        String endpoint = config.get(Key.STEPFUNCTIONS_ENDPOINT).orElse(null);
        return AwsClients.sfn(AwsClients.Settings.of(
                        config.require(Key.STEPFUNCTIONS_REGION), endpoint == null ? null : URI.create(endpoint))
                .withCredentials(
                        config.get(Key.AWS_ACCESS_KEY_ID).orElse(null),
                        config.get(Key.AWS_SECRET_ACCESS_KEY).orElse(null))
                .withAttemptTimeout(attemptTimeout));
    }

    /** A required ARN, with a hint that says where it comes from. */
    public static String arn(Config config, Key key) {
        return config.get(key)
                .orElseThrow(() -> new PitrException(
                        ErrorCode.CONFIG_MISSING,
                        key.path() + " is not set",
                        "set it from the outputs of the infrastructure stack"));
    }
}
