package dev.pitr.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.pitr.aws.AwsErrors;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * The segment summaries of a {@link DynamoDbCatalog}. The {@link SegmentBlock}s of one timeline are kept sixteen (
 * {@link #PAGE_SHIFT}) to an item, {@code sum#<timeline>#<page>}, gzip'd, with a version every change is conditional on; the
 * item {@code sumhead} counts the live segments. A status reads the few page items (a few KB for a million segments)
 * instead of the segment items.
 *
 * <p>A segment and its summary are written in one transaction with the count. Expiries, removals, forgets and cuts
 * change the segment items first and the summary after: a summary a crash left behind then still holds what the records
 * no longer do, which a plan's reads detect ({@code RestoreWindow.StaleSummaryException}) and the catalog repairs.
 */
final class DynamoBlocks {

    /** Blocks per page item: 16 blocks of 64 GiB, a TiB of WAL. */
    static final int PAGE_SHIFT = 4;

    static final String HEAD = "sumhead";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ATTEMPTS = 32;

    /** A page item as read: its blocks by number, and its version (0 when it does not exist). */
    record Page(TimelineId timeline, long page, Map<Long, SegmentBlock> blocks, long version) {}

    /** A change to a page failed for another reason than the page's version: the cancellation reasons. */
    static final class OtherFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient List<CancellationReason> reasons;

        OtherFailure(List<CancellationReason> reasons, TransactionCanceledException cause) {
            super(cause.getMessage(), cause);
            this.reasons = reasons;
        }

        List<CancellationReason> reasons() {
            return reasons;
        }
    }

    private final DynamoDbClient ddb;
    private final String table;
    private final String cluster;
    private final boolean consistent;
    private final SegmentBlocks.Records records;

    /** {@code consistent}: whether {@link #pages()} and {@link #listed()} read consistently (writes always do). */
    DynamoBlocks(DynamoDbClient ddb, String table, String cluster, boolean consistent, SegmentBlocks.Records records) {
        this.ddb = ddb;
        this.table = table;
        this.cluster = cluster;
        this.consistent = consistent;
        this.records = records;
    }

    static String pageKey(TimelineId t, long page) {
        return "sum#" + t.hex() + "#" + String.format("%012X", page);
    }

    /**
     * Changes block {@code number} of {@code t} to what {@code change} makes of it (given the stored block, or empty),
     * in one transaction with {@code with} (their indexes in the cancellation reasons start at 0) and {@code count} added
     * to the live count. A page changed meanwhile by another writer is read again and the change made anew; any other
     * failure of the transaction throws {@link OtherFailure}.
     */
    void change(TimelineId t, long number, UnaryOperator<Optional<SegmentBlock>> change, List<TransactWriteItem> with) {
        for (int attempt = 0; ; attempt++) {
            Page p = readPage(t, number >>> PAGE_SHIFT);
            Optional<SegmentBlock> now =
                    Optional.ofNullable(p.blocks().get(number)).filter(b -> b.problem() == null);
            Optional<SegmentBlock> next = change.apply(now);
            Map<Long, SegmentBlock> blocks = new TreeMap<>(p.blocks());
            if (next.isEmpty() || next.get().isEmpty()) {
                blocks.remove(number);
            } else {
                blocks.put(number, next.get());
            }
            List<TransactWriteItem> items = new ArrayList<>(with);
            items.add(pagePut(p, blocks));
            if (p.version() == 0) {
                // a new page is listed in the head, so that one that goes missing is noticed
                items.add(TransactWriteItem.builder()
                        .update(Update.builder()
                                .tableName(table)
                                .key(key(HEAD))
                                .updateExpression("ADD pages :k")
                                .expressionAttributeValues(
                                        Map.of(":k", AttributeValue.fromSs(List.of(pageKey(t, p.page())))))
                                .build())
                        .build());
            }
            try {
                ddb.transactWriteItems(x -> x.transactItems(items));
                return;
            } catch (TransactionCanceledException e) {
                List<CancellationReason> reasons = e.cancellationReasons();
                boolean pageChanged = reasons.size() == items.size()
                        && "ConditionalCheckFailed"
                                .equals(reasons.get(with.size()).code());
                boolean othersFine =
                        reasons.stream().limit(with.size()).allMatch(r -> r.code() == null || "None".equals(r.code()));
                if (pageChanged && othersFine && attempt < ATTEMPTS) {
                    pause(attempt);
                    continue;
                }
                if (!othersFine || !pageChanged) {
                    throw new OtherFailure(reasons, e);
                }
                throw AwsErrors.catalog("the summary of " + t + " block " + number + " kept changing under us", e);
            }
        }
    }

    /** Sums block {@code number} of {@code t} up again from the records and keeps it. */
    SegmentBlock rebuild(TimelineId t, long number) {
        SegmentBlock[] out = new SegmentBlock[1];
        change(
                t,
                number,
                now -> {
                    out[0] = summedUp(t, number);
                    return Optional.of(out[0]);
                },
                List.of());
        return out[0];
    }

    SegmentBlock summedUp(TimelineId t, long number) {
        long size = records.segmentSize();
        List<Lsn> cuts = records.cuts().stream()
                .filter(c -> c.timeline().equals(t) && SegmentBlock.numberOf(c.at()) == number)
                .map(SegmentBlocks.Cut::at)
                .toList();
        if (size == 0) {
            return SegmentBlock.of(t, number, 0, List.of(), cuts, List.of());
        }
        long from = SegmentBlock.firstSegno(number, size);
        long to = SegmentBlock.lastSegno(number, size);
        return SegmentBlock.of(t, number, size, records.live(t, from, to), cuts, records.expired(t, from, to));
    }

    /** Every page, as stored. */
    List<Page> pages() {
        List<Page> out = new ArrayList<>();
        Map<String, AttributeValue> v = new HashMap<>();
        v.put(":pk", AttributeValue.fromS(cluster));
        v.put(":lo", AttributeValue.fromS("sum#"));
        v.put(":hi", AttributeValue.fromS("sum#\uffff"));
        QueryRequest q = QueryRequest.builder()
                .tableName(table)
                .keyConditionExpression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expressionAttributeNames(Map.of("#pk", DynamoDbCatalog.PK, "#sk", DynamoDbCatalog.SK))
                .expressionAttributeValues(v)
                .consistentRead(consistent)
                .build();
        try {
            ddb.queryPaginator(q).items().forEach(i -> out.add(decode(i)));
        } catch (SdkException e) {
            throw AwsErrors.catalog("cannot read the segment summaries", e);
        }
        return out;
    }

    /**
     * The page items the head lists, or empty when there is no head: a catalog whose summaries were never summed up.
     */
    Optional<java.util.Set<String>> listed() {
        try {
            var r = ddb.getItem(g -> g.tableName(table).key(key(HEAD)).consistentRead(consistent));
            if (!r.hasItem() || r.item().isEmpty()) {
                return Optional.empty();
            }
            AttributeValue pages = r.item().get("pages");
            return Optional.of(pages == null ? java.util.Set.of() : java.util.Set.copyOf(pages.ss()));
        } catch (SdkException e) {
            throw AwsErrors.catalog("cannot read the segment summaries' head", e);
        }
    }

    /** Sums every block of page {@code page} of {@code t} up again from the records and keeps them. */
    void rebuildPage(TimelineId t, long page) {
        for (long b = page << PAGE_SHIFT; b < (page + 1) << PAGE_SHIFT; b++) {
            rebuild(t, b);
        }
    }

    /**
     * Sums every block up again from the records: the blocks of {@code keys} (timeline, block) and of every cut. Each
     * page is written only if no writer changed it since this began, else summed up again; then the live count is set.
     */
    void rebuildAll(List<long[]> keys) {
        Map<String, List<Long>> byPage = new TreeMap<>();
        List<long[]> all = new ArrayList<>(keys);
        for (SegmentBlocks.Cut c : records.cuts()) {
            all.add(new long[] {c.timeline().value(), SegmentBlock.numberOf(c.at())});
        }
        for (Page p : pages()) {
            for (long b : p.blocks().keySet()) {
                all.add(new long[] {p.timeline().value(), b});
            }
        }
        for (long[] k : all) {
            List<Long> numbers =
                    byPage.computeIfAbsent(pageKey(TimelineId.of(k[0]), k[1] >>> PAGE_SHIFT), x -> new ArrayList<>());
            if (!numbers.contains(k[1])) {
                numbers.add(k[1]);
            }
        }
        for (Map.Entry<String, List<Long>> e : byPage.entrySet()) {
            String[] parts = e.getKey().split("#", -1);
            TimelineId t = TimelineId.parseHex(parts[1]);
            for (int attempt = 0; ; attempt++) {
                Page p = readPage(t, Long.parseLong(parts[2], 16));
                Map<Long, SegmentBlock> blocks = new TreeMap<>();
                for (long number : e.getValue()) {
                    SegmentBlock b = summedUp(t, number);
                    if (!b.isEmpty()) {
                        blocks.put(number, b);
                    }
                }
                try {
                    ddb.transactWriteItems(x -> x.transactItems(pagePut(p, blocks)));
                    break;
                } catch (TransactionCanceledException changed) {
                    if (attempt >= ATTEMPTS) {
                        throw AwsErrors.catalog("the segment summaries kept changing under us", changed);
                    }
                }
            }
        }
        try {
            ddb.updateItem(u -> {
                u.tableName(table).key(key(HEAD));
                if (byPage.isEmpty()) {
                    u.updateExpression("SET built = :one").expressionAttributeValues(Map.of(":one", n(1)));
                } else {
                    u.updateExpression("SET built = :one ADD pages :k")
                            .expressionAttributeValues(
                                    Map.of(":one", n(1), ":k", AttributeValue.fromSs(List.copyOf(byPage.keySet()))));
                }
            });
        } catch (SdkException e) {
            throw AwsErrors.catalog("cannot write the segment summaries' head", e);
        }
    }

    Page readPage(TimelineId t, long page) {
        try {
            var r = ddb.getItem(
                    g -> g.tableName(table).key(key(pageKey(t, page))).consistentRead(true));
            return r.hasItem() && !r.item().isEmpty() ? decode(r.item()) : new Page(t, page, Map.of(), 0);
        } catch (SdkException e) {
            throw AwsErrors.catalog("cannot read the summary page " + pageKey(t, page), e);
        }
    }

    private TransactWriteItem pagePut(Page p, Map<Long, SegmentBlock> blocks) {
        Map<String, AttributeValue> item = key(pageKey(p.timeline(), p.page()));
        item.put("ver", n(p.version() + 1));
        item.put("body", AttributeValue.fromB(SdkBytes.fromByteArray(encode(blocks))));
        return TransactWriteItem.builder()
                .put(Put.builder()
                        .tableName(table)
                        .item(item)
                        .conditionExpression(p.version() == 0 ? "attribute_not_exists(sk)" : "ver = :v")
                        .expressionAttributeValues(p.version() == 0 ? null : Map.of(":v", n(p.version())))
                        .build())
                .build();
    }

    private static byte[] encode(Map<Long, SegmentBlock> blocks) {
        ArrayNode a = JSON.createArrayNode();
        blocks.forEach((number, b) -> a.addArray().add(number).add(b.encode()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(a.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A page item; a body that cannot be read gives blocks whose {@link SegmentBlock#problem()} says so. */
    private static Page decode(Map<String, AttributeValue> item) {
        String[] parts = item.get(DynamoDbCatalog.SK).s().split("#", -1);
        TimelineId t = TimelineId.parseHex(parts[1]);
        long page = Long.parseLong(parts[2], 16);
        long version = item.containsKey("ver") ? Long.parseLong(item.get("ver").n()) : 1;
        Map<Long, SegmentBlock> blocks = new TreeMap<>();
        try (GZIPInputStream in = new GZIPInputStream(
                new ByteArrayInputStream(item.get("body").b().asByteArray()))) {
            JsonNode a = JSON.readTree(in.readAllBytes());
            for (JsonNode x : a) {
                long number = x.get(0).asLong();
                blocks.put(number, decodeBlock(t, number, x.get(1).asText()));
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: every block of the page is summed up again
            for (long b = page << PAGE_SHIFT; b < (page + 1) << PAGE_SHIFT; b++) {
                blocks.put(b, damaged(t, b));
            }
        }
        return new Page(t, page, blocks, version);
    }

    private static SegmentBlock decodeBlock(TimelineId t, long number, String body) {
        try {
            return SegmentBlock.decode(t, number, body);
        } catch (IllegalArgumentException e) {
            return damaged(t, number);
        }
    }

    /** A stand-in for a summary that cannot be read, with a problem so that it is summed up again. */
    static SegmentBlock damaged(TimelineId t, long number) {
        return new SegmentBlock(
                t, number, 0, List.of(), List.of(), List.of(), new TreeMap<>(), List.of(), -1, 0, 0, null);
    }

    private Map<String, AttributeValue> key(String sk) {
        Map<String, AttributeValue> k = new HashMap<>();
        k.put(DynamoDbCatalog.PK, AttributeValue.fromS(cluster));
        k.put(DynamoDbCatalog.SK, AttributeValue.fromS(sk));
        return k;
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(Math.min(200, 5L << Math.min(attempt, 5)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }
}
