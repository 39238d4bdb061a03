package dev.pitr.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.pitr.aws.AwsCallLog;
import dev.pitr.catalog.Catalog;
import dev.pitr.restore.workflow.RecordStep;
import dev.pitr.restore.workflow.RestoreJob;
import java.time.Clock;
import java.util.Map;

/** The Lambda behind the Record and Record-failure states: {@link RecordStep} over the environment's catalog. */
public final class RecordHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        return AwsCallLog.actingAs(AwsCallLog.RECORD_FUNCTION, () -> {
            try (Catalog catalog = FunctionEnvironment.catalog(System.getenv())) {
                return RestoreJob.JSON.convertValue(
                        RecordStep.run(catalog, RestoreJob.JSON.valueToTree(input), Clock.systemUTC()),
                        PlanHandler.MAP);
            }
        });
    }
}
