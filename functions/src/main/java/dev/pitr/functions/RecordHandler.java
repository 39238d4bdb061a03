package dev.pitr.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.pitr.aws.AwsCallLog;
import dev.pitr.catalog.Catalog;
import dev.pitr.restore.workflow.RecordStep;
import dev.pitr.restore.workflow.RestoreJob;
import java.time.Clock;
import java.util.Map;

/**
 * The Lambda behind the Record and Record-failure states ({@link RecordStep#run}), and the target of the rule that
 * sends it every execution that ended failed, timed out or stopped ({@link RecordStep#executionEnded}), over the
 * environment's catalog.
 */
public final class RecordHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        return AwsCallLog.actingAs(AwsCallLog.RECORD_FUNCTION, () -> {
            try (Catalog catalog = FunctionEnvironment.catalog(System.getenv())) {
                JsonNode in = RestoreJob.JSON.valueToTree(input);
                boolean ended = in.path("detail-type").asText().equals(RecordStep.EXECUTION_STATUS_CHANGE);
                return RestoreJob.JSON.convertValue(
                        ended
                                ? RecordStep.executionEnded(catalog, in, Clock.systemUTC())
                                : RecordStep.run(catalog, in, Clock.systemUTC()),
                        PlanHandler.MAP);
            }
        });
    }
}
