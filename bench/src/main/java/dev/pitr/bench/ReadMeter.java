package dev.pitr.bench;

import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;

/**
 * Counts what a DynamoDB client reads: it asks every query and get for the capacity it consumed, and adds up the items
 * returned and the read units DynamoDB reports.
 */
final class ReadMeter implements ExecutionInterceptor {

    private long items;
    private double units;
    private long requests;

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        SdkRequest r = context.request();
        if (r instanceof QueryRequest q) {
            return q.toBuilder()
                    .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)
                    .build();
        }
        if (r instanceof GetItemRequest g) {
            return g.toBuilder()
                    .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)
                    .build();
        }
        return r;
    }

    @Override
    public synchronized void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        if (context.response() instanceof QueryResponse q) {
            requests++;
            items += q.count();
            units += units(q.consumedCapacity());
        } else if (context.response() instanceof GetItemResponse g) {
            requests++;
            items += g.hasItem() && !g.item().isEmpty() ? 1 : 0;
            units += units(g.consumedCapacity());
        }
    }

    private static double units(ConsumedCapacity c) {
        return c == null || c.capacityUnits() == null ? 0 : c.capacityUnits();
    }

    synchronized void reset() {
        items = 0;
        units = 0;
        requests = 0;
    }

    /** E.g. {@code 12 requests, 40 items, 3.5 RCU}. */
    synchronized String describe() {
        return String.format("%d requests, %d items, %.1f RCU", requests, items, units);
    }
}
