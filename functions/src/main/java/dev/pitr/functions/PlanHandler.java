package dev.pitr.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.pitr.aws.AwsCallLog;
import dev.pitr.catalog.Catalog;
import dev.pitr.restore.workflow.PlanStep;
import dev.pitr.restore.workflow.RestoreJob;
import java.util.Map;

/** The Lambda behind the Plan state: {@link PlanStep} over the DynamoDB catalog the environment names. */
public final class PlanHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        return AwsCallLog.actingAs(AwsCallLog.PLAN_FUNCTION, () -> {
            try (Catalog catalog = FunctionEnvironment.catalog(System.getenv())) {
                return RestoreJob.JSON.convertValue(PlanStep.run(catalog, RestoreJob.JSON.valueToTree(input)), MAP);
            }
        });
    }
}
