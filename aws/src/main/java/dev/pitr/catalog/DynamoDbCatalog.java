package dev.pitr.catalog;

import dev.pitr.aws.AwsErrors;
import dev.pitr.error.ErrorCode;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * The catalog in one DynamoDB table.
 *
 * <p>Key design. The partition key {@code pk} is {@code cluster#<system identifier>}, so each PostgreSQL cluster is
 * one partition and every read is a key or range query inside it; nothing scans. The sort key {@code sk} orders what
 * the partition holds:
 *
 * <ul>
 *   <li>{@code cluster}: the cluster item (its WAL segment size, first written with the first segment);
 *   <li>{@code wal#<24-hex file name>}: one item per segment. A WAL file name is timeline, then log, then segment in
 *       fixed-width hex, so sorting by name is sorting by timeline then segment number, and a segment range is a
 *       {@code BETWEEN} on the sort key;
 *   <li>{@code tli#<8-hex timeline>}: one item per timeline history file;
 *   <li>{@code snap#<id>}: one item per snapshot; ids are UTC start times, so snapshots sort by time. Its {@code
 *       backup_manifest} is an object in storage; the item holds where ({@link BackupManifest});
 *   <li>{@code sum#<timeline>#<page>} and {@code sumhead}: the segment summaries ({@link DynamoBlocks});
 *   <li>{@code lease#capture}: the shipping lease with its fencing token.
 * </ul>
 *
 * <p>Every write is conditional: segments and histories are put only where none exists ({@code
 * attribute_not_exists}); a failed condition is then resolved by reading the item: the same checksum is success, a
 * different one a conflict, and the stored item is never overwritten. While this catalog holds the lease, each segment
 * put is a transaction with a check that the lease still carries our token. A write that timed out has an unknown
 * outcome and is reported as such; repeating it is safe.
 */
public final class DynamoDbCatalog implements Catalog {

    /** The table's partition key (string): {@code cluster#<system identifier>}. */
    public static final String PK = "pk";

    /** The table's sort key (string): the item's kind and name, such as {@code wal#<segment>}. */
    public static final String SK = "sk";

    private static final String LEASE_SK = "lease#capture";

    private final DynamoDbClient ddb;
    private final String table;
    private final String cluster;
    private volatile Long segmentSize;
    private volatile DynamoLease heldLease;

    private final DynamoBlocks blocks;
    /** False for {@link #forDisplay()}'s view: its listings are eventually consistent reads. */
    private final boolean consistent;
    /** The consistent catalog a display view falls back to. */
    private final DynamoDbCatalog strong;

    /** {@code clusterId} is the cluster's system identifier, as {@code pg_control_system()} reports it. */
    public DynamoDbCatalog(DynamoDbClient ddb, String table, String clusterId) {
        this(ddb, table, "cluster#" + clusterId, null);
    }

    private DynamoDbCatalog(DynamoDbClient ddb, String table, String cluster, DynamoDbCatalog strong) {
        this.ddb = ddb;
        this.table = table;
        this.cluster = cluster;
        this.consistent = strong == null;
        this.strong = strong == null ? this : strong;
        this.blocks = new DynamoBlocks(ddb, table, cluster, consistent, SegmentBlocks.recordsOf(this, () -> {
            Long size = segmentSize();
            return size == null ? 0 : size;
        }));
    }

    /** The partition this catalog's items are in, for tests that damage them. */
    String partition() {
        return cluster;
    }

    /** Creates the table (on-demand billing) unless it exists, and waits until it is active. */
    public static void createTable(DynamoDbClient ddb, String table) {
        try {
            ddb.createTable(r -> r.tableName(table)
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(
                            AttributeDefinition.builder()
                                    .attributeName(PK)
                                    .attributeType(ScalarAttributeType.S)
                                    .build(),
                            AttributeDefinition.builder()
                                    .attributeName(SK)
                                    .attributeType(ScalarAttributeType.S)
                                    .build())
                    .keySchema(
                            KeySchemaElement.builder()
                                    .attributeName(PK)
                                    .keyType(KeyType.HASH)
                                    .build(),
                            KeySchemaElement.builder()
                                    .attributeName(SK)
                                    .keyType(KeyType.RANGE)
                                    .build()));
        } catch (ResourceInUseException e) {
            // already there
        } catch (SdkException e) {
            throw AwsErrors.catalog("cannot create table " + table, e);
        }
        try {
            ddb.waiter().waitUntilTableExists(r -> r.tableName(table));
        } catch (SdkException e) {
            throw AwsErrors.catalog("table " + table + " did not become active", e);
        }
    }

    /** Throws a clear error unless the table exists with this catalog's key schema. */
    public void verifyTable() {
        TableDescription d;
        try {
            d = ddb.describeTable(r -> r.tableName(table)).table();
        } catch (SdkException e) {
            throw AwsErrors.catalog("cannot use table " + table, e);
        }
        List<String> keys = d.keySchema().stream()
                .map(k -> k.attributeName() + ":" + k.keyTypeAsString())
                .toList();
        if (!keys.equals(List.of(PK + ":HASH", SK + ":RANGE"))) {
            throw new CatalogException(
                    ErrorCode.CONFIG_INVALID,
                    "table " + table + " has key schema " + keys + ", not pk (hash) and sk (range)",
                    "point catalog.table at a table made by 'pitr init', or a new name",
                    null);
        }
    }

    // ---- segments

    @Override
    public Recorded recordSegment(SegmentRecord r) {
        return recordInOne(List.of(r)).get(0);
    }

    /** Segments recorded in one transaction with their summary. */
    private static final int BATCH = 90;

    /**
     * Records consecutive segments of one block, up to {@link #BATCH}, in one transaction each; a batch with one already
     * recorded (or any other failure of the batch) is recorded a segment at a time instead.
     */
    @Override
    public List<Recorded> recordSegments(List<SegmentRecord> segments) {
        List<Recorded> out = new ArrayList<>(segments.size());
        int from = 0;
        while (from < segments.size()) {
            SegmentRecord first = segments.get(from);
            int to = from + 1;
            java.util.Set<String> names =
                    new java.util.HashSet<>(List.of(first.name().fileName()));
            while (to < segments.size()
                    && to - from < BATCH
                    && segments.get(to).name().timeline().equals(first.name().timeline())
                    && SegmentBlock.numberOf(segments.get(to).startLsn()) == SegmentBlock.numberOf(first.startLsn())
                    && names.add(segments.get(to).name().fileName())) {
                to++;
            }
            List<SegmentRecord> batch = segments.subList(from, to);
            if (batch.size() == 1) {
                out.addAll(recordInOne(batch));
            } else {
                try {
                    out.addAll(recordInOne(batch));
                } catch (ArchiveConflictException | LeaseHeldException e) {
                    throw e;
                } catch (RuntimeException some) {
                    for (SegmentRecord r : batch) {
                        out.add(recordSegment(r));
                    }
                }
            }
            from = to;
        }
        return out;
    }

    /**
     * Puts the items of {@code batch} (segments of one block, none twice) where none exists, with their summary and the
     * live count, in one transaction, fenced by the lease while this catalog holds it. For one segment, a put refused
     * because it exists is resolved by reading it back; for more, that refusal throws.
     */
    private List<Recorded> recordInOne(List<SegmentRecord> batch) {
        SegmentRecord r0 = batch.get(0);
        ensureClusterItem(r0.name().segmentSize());
        String what = batch.size() == 1 ? "record segment " + r0.name() : "record " + batch.size() + " segments";
        DynamoLease lease = heldLease;
        List<TransactWriteItem> with = new ArrayList<>();
        if (lease != null) {
            with.add(TransactWriteItem.builder()
                    .conditionCheck(ConditionCheck.builder()
                            .tableName(table)
                            .key(key(LEASE_SK))
                            .conditionExpression("#o = :o AND #t = :t")
                            .expressionAttributeNames(Map.of("#o", "owner", "#t", "token"))
                            .expressionAttributeValues(Map.of(":o", s(lease.owner()), ":t", n(lease.token())))
                            .build())
                    .build());
        }
        int firstPut = with.size();
        List<SegmentRecord> stored = new ArrayList<>();
        for (SegmentRecord r : batch) {
            with.add(TransactWriteItem.builder()
                    .put(Put.builder()
                            .tableName(table)
                            .item(segmentItem(r))
                            .conditionExpression("attribute_not_exists(sk)")
                            .build())
                    .build());
            stored.add(r.asStored());
        }
        TimelineId t = r0.name().timeline();
        long number = SegmentBlock.numberOf(r0.startLsn());
        try {
            blocks.change(
                    t,
                    number,
                    now -> {
                        SegmentBlock b = now.filter(held -> stored.stream()
                                        .noneMatch(r -> held.holds(r.name().segno())))
                                .orElseGet(() -> blocks.summedUp(t, number));
                        for (SegmentRecord r : stored) {
                            b = b.holds(r.name().segno()) ? b : b.with(r);
                        }
                        return Optional.of(b);
                    },
                    with);
            return java.util.Collections.nCopies(batch.size(), Recorded.INSERTED);
        } catch (DynamoBlocks.OtherFailure f) {
            List<CancellationReason> reasons = f.reasons();
            if (lease != null && failed(reasons, 0)) {
                throw new LeaseHeldException("a newer capture process", lease.expiresAt());
            }
            if (batch.size() == 1 && failed(reasons, firstPut)) {
                return List.of(
                        sameOrConflict(r0.name().fileName(), recorded(r0.name().fileName()), r0.checksum()));
            }
            throw writeFailure(what, (SdkException) f.getCause());
        } catch (SdkException e) {
            throw writeFailure(what, e);
        }
    }

    private Map<String, AttributeValue> segmentItem(SegmentRecord r) {
        Map<String, AttributeValue> item = key("wal#" + r.name().fileName());
        item.put("timeline", n(r.name().timeline().value()));
        item.put("segno", n(r.name().segno()));
        item.put("segment_size", n(r.name().segmentSize()));
        item.put("plain_size", n(r.plainSize()));
        item.put("stored_size", n(r.storedSize()));
        item.put("sha256", s(r.checksum()));
        item.put("storage_key", s(r.storageKey()));
        putOpt(item, "key_id", r.keyId());
        item.put("archived_at", micros(r.archivedAt()));
        SegmentIndex x = r.index();
        if (x != null) {
            item.put("indexed", n(1));
            putOpt(item, "first_commit", x.firstEnd());
            putOpt(item, "last_commit", x.lastEnd());
            item.put("min_xid", n(x.minXid()));
            item.put("max_xid", n(x.maxXid()));
            item.put("transactions", n(x.transactions()));
            putOpt(item, "restore_points", x.restorePoints().isEmpty() ? null : x.restorePointsText());
            putOpt(item, "index_problem", x.problem());
        }
        return item;
    }

    private static boolean failed(List<CancellationReason> reasons, int at) {
        return reasons.size() > at
                && "ConditionalCheckFailed".equals(reasons.get(at).code());
    }

    private static Recorded sameOrConflict(String name, Optional<SegmentRecord> existing, String sha) {
        String have = existing.map(SegmentRecord::checksum)
                .orElseThrow(
                        () -> new CatalogException(name + " was refused as existing but cannot be read back", null));
        if (have.equals(sha)) {
            return Recorded.ALREADY_PRESENT;
        }
        throw ArchiveConflictException.of(name, have, sha);
    }

    @Override
    public Optional<SegmentRecord> segment(WalFileName fileName) {
        return get("wal#" + fileName).filter(DynamoDbCatalog::live).map(DynamoDbCatalog::toSegment);
    }

    /** The segment as recorded, expired or not. */
    private Optional<SegmentRecord> recorded(String fileName) {
        return get("wal#" + fileName).map(DynamoDbCatalog::toSegment);
    }

    private static boolean live(Map<String, AttributeValue> segmentItem) {
        return !segmentItem.containsKey("expired_at");
    }

    @Override
    public void expireSegment(WalFileName fileName, Instant at) {
        expireSegments(List.of(fileName), at);
    }

    /** Each segment item first, then the summary of each block they were in, once. */
    @Override
    public void expireSegments(List<WalFileName> fileNames, Instant at) {
        Map<Long, List<SegmentRecord>> gone = new TreeMap<>();
        Map<Long, TimelineId> stale = new TreeMap<>();
        for (WalFileName f : fileNames) {
            Map<String, AttributeValue> old = updateSegment(
                    f.text(),
                    "SET expired_at = if_not_exists(expired_at, :t)",
                    "attribute_exists(sk)",
                    at,
                    "is not recorded");
            SegmentRecord r = toSegment(old);
            long key = blockKey(r.name().timeline(), SegmentBlock.numberOf(r.startLsn()));
            if (live(old)) {
                gone.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
            } else {
                // expired before, but its summary may not know: a crash between the two writes
                stale.put(key, r.name().timeline());
            }
        }
        Instant when = at.truncatedTo(ChronoUnit.MICROS);
        for (Map.Entry<Long, List<SegmentRecord>> e : gone.entrySet()) {
            TimelineId t = e.getValue().get(0).name().timeline();
            long number = e.getKey() & BLOCK_MASK;
            changeSummary(
                    t,
                    number,
                    b -> stale.containsKey(e.getKey())
                            ? null
                            : b.expire(e.getValue(), when, (from, to) -> segments(t, from, to)));
        }
        stale.forEach((key, t) -> {
            if (!gone.containsKey(key)) {
                blocks.rebuild(t, key & BLOCK_MASK);
            }
        });
    }

    @Override
    public void segmentRemoved(WalFileName fileName, Instant at) {
        segmentsRemoved(List.of(fileName), at);
    }

    @Override
    public void segmentsRemoved(List<WalFileName> fileNames, Instant at) {
        Map<Long, List<SegmentBlock.Expiry>> done = new TreeMap<>();
        Map<Long, TimelineId> timelines = new TreeMap<>();
        for (WalFileName f : fileNames) {
            Map<String, AttributeValue> old = updateSegment(
                    f.text(),
                    "SET removed_at = if_not_exists(removed_at, :t)",
                    "attribute_exists(expired_at)",
                    at,
                    "is not expired");
            if (!old.containsKey("removed_at")) {
                SegmentRecord r = toSegment(old);
                long key = blockKey(r.name().timeline(), SegmentBlock.numberOf(r.startLsn()));
                timelines.put(key, r.name().timeline());
                done.computeIfAbsent(key, k -> new ArrayList<>())
                        .add(new SegmentBlock.Expiry(r.name().segno(), instant(old, "expired_at"), null));
            }
        }
        done.forEach((key, list) -> changeSummary(timelines.get(key), key & BLOCK_MASK, b -> b.removed(list)));
    }

    /** Low bits of a block key: the block number; the timeline is above them. */
    private static final long BLOCK_MASK = (1L << 40) - 1;

    private static long blockKey(TimelineId t, long number) {
        return (t.value() << 40) | number;
    }

    /**
     * Changes the summary of block {@code number} by {@code change}; where there is none, {@code change} returns null,
     * or the records contradict it, the block is summed up again from the records instead.
     */
    private void changeSummary(TimelineId t, long number, java.util.function.UnaryOperator<SegmentBlock> change) {
        try {
            blocks.change(
                    t,
                    number,
                    now -> {
                        SegmentBlock next = null;
                        if (now.isPresent()) {
                            try {
                                next = change.apply(now.get());
                            } catch (IllegalStateException | IllegalArgumentException stale) {
                                next = null;
                            }
                        }
                        return Optional.of(next != null ? next : blocks.summedUp(t, number));
                    },
                    List.of());
        } catch (DynamoBlocks.OtherFailure f) {
            throw writeFailure("change the summary of " + t + " block " + number, (SdkException) f.getCause());
        }
    }

    /** Updates the segment item and returns it as it was before. */
    private Map<String, AttributeValue> updateSegment(
            String fileName, String update, String condition, Instant at, String otherwise) {
        try {
            return ddb.updateItem(u -> u.tableName(table)
                            .key(key("wal#" + fileName))
                            .updateExpression(update)
                            .conditionExpression(condition)
                            .expressionAttributeValues(Map.of(":t", micros(at)))
                            .returnValues(ReturnValue.ALL_OLD))
                    .attributes();
        } catch (ConditionalCheckFailedException e) {
            throw new IllegalStateException("segment " + fileName + " " + otherwise);
        } catch (SdkException e) {
            throw writeFailure("update segment " + fileName, e);
        }
    }

    @Override
    public List<ExpiredSegment> expiredSegments() {
        return prefix("wal#").stream()
                .filter(i -> !live(i))
                .map(DynamoDbCatalog::toExpired)
                .toList();
    }

    @Override
    public void forgetSegment(WalFileName fileName) {
        forget("wal#" + fileName, "attribute_exists(removed_at)", Map.of(), "segment " + fileName);
        Long size = segmentSize();
        if (size != null) {
            SegmentName n = SegmentName.of(fileName, size);
            changeSummary(n.timeline(), SegmentBlock.numberOf(n.startLsn()), b -> b.withoutExpired(n.segno()));
        }
    }

    @Override
    public List<ExpiredSegment> expiredSegments(WalFileName from, WalFileName to) {
        return query("#sk BETWEEN :lo AND :hi", Map.of(":lo", s("wal#" + from), ":hi", s("wal#" + to))).stream()
                .filter(i -> !live(i))
                .map(DynamoDbCatalog::toExpired)
                .toList();
    }

    private static ExpiredSegment toExpired(Map<String, AttributeValue> i) {
        return new ExpiredSegment(
                WalFileName.of(str(i, SK).substring("wal#".length())),
                str(i, "storage_key"),
                instant(i, "expired_at"),
                i.containsKey("removed_at") ? instant(i, "removed_at") : null);
    }

    // ---- segment summaries

    /**
     * A view whose listings (summaries, snapshots, histories) are eventually consistent reads, at half the read units:
     * what status and the dashboard show may trail a write by a moment. Summaries that do not add up there are read
     * again, consistently, before anything is repaired.
     */
    @Override
    public Catalog forDisplay() {
        return consistent ? new DynamoDbCatalog(ddb, table, cluster, this) : this;
    }

    /**
     * The summaries as the page items hold them. A block that does not add up is summed up again; a page the head lists
     * that is missing has its blocks summed up again; a catalog never summed up (no head) is summed up whole, once. The
     * display view only reads, and gives way to this catalog when anything needs repair.
     */
    @Override
    public List<SegmentBlock> segmentBlocks() {
        List<DynamoBlocks.Page> pages = blocks.pages();
        Optional<java.util.Set<String>> listed = blocks.listed();
        java.util.Set<String> present = new java.util.HashSet<>();
        pages.forEach(p -> present.add(DynamoBlocks.pageKey(p.timeline(), p.page())));
        boolean sound = listed.isPresent()
                && present.containsAll(listed.get())
                && pages.stream().allMatch(p -> p.blocks().values().stream().allMatch(b -> b.problem() == null));
        if (sound) {
            List<SegmentBlock> out = new ArrayList<>();
            pages.forEach(p -> out.addAll(p.blocks().values()));
            return out;
        }
        if (!consistent) {
            return strong.segmentBlocks();
        }
        if (listed.isEmpty()) {
            rebuildSegmentBlocks();
        } else {
            for (String k : listed.get()) {
                if (!present.contains(k)) {
                    String[] parts = k.split("#", -1);
                    blocks.rebuildPage(TimelineId.parseHex(parts[1]), Long.parseLong(parts[2], 16));
                }
            }
            for (DynamoBlocks.Page p : pages) {
                for (SegmentBlock b : p.blocks().values()) {
                    if (b.problem() != null) {
                        blocks.rebuild(b.timeline(), b.number());
                    }
                }
            }
        }
        List<SegmentBlock> out = new ArrayList<>();
        for (DynamoBlocks.Page p : blocks.pages()) {
            for (SegmentBlock b : p.blocks().values()) {
                if (!b.isEmpty()) {
                    out.add(b);
                }
            }
        }
        return out;
    }

    @Override
    public SegmentBlock repairSegmentBlock(TimelineId timeline, long number) {
        // summed up from consistent reads only, whichever view asks
        return strong == this ? blocks.rebuild(timeline, number) : strong.repairSegmentBlock(timeline, number);
    }

    /** Reads every segment item once, keeping only which blocks hold some, then sums each block up again. */
    @Override
    public void rebuildSegmentBlocks() {
        if (strong != this) {
            strong.rebuildSegmentBlocks();
            return;
        }
        Long size = segmentSize();
        List<long[]> keys = new ArrayList<>();
        if (size != null) {
            java.util.Set<Long> seen = new java.util.HashSet<>();
            forEach("wal#", i -> {
                long t = num(i, "timeline");
                long number = SegmentBlock.numberOf(new Lsn(num(i, "segno") * size));
                if (seen.add(blockKey(TimelineId.of(t), number))) {
                    keys.add(new long[] {t, number});
                }
            });
        }
        blocks.rebuildAll(keys);
    }

    @Override
    public void forgetSnapshot(SnapshotId id) {
        forget(
                "snap#" + id.value(),
                "#s = :removed",
                Map.of(":removed", s(SnapshotRecord.Status.REMOVED.name())),
                "snapshot " + id);
        // the manifest items an earlier version wrote beside the snapshot's
        for (Map<String, AttributeValue> chunk : prefix("snapm#" + id.value() + "#")) {
            try {
                ddb.deleteItem(d -> d.tableName(table).key(key(str(chunk, SK))));
            } catch (SdkException e) {
                throw writeFailure("forget the manifest of snapshot " + id, e);
            }
        }
    }

    private void forget(String sk, String condition, Map<String, AttributeValue> values, String what) {
        try {
            ddb.deleteItem(d -> {
                d.tableName(table).key(key(sk)).conditionExpression(condition);
                if (!values.isEmpty()) {
                    d.expressionAttributeNames(Map.of("#s", "status")).expressionAttributeValues(values);
                }
            });
        } catch (ConditionalCheckFailedException e) {
            throw new IllegalStateException(what + " is not recorded as removed");
        } catch (SdkException e) {
            throw writeFailure("forget " + what, e);
        }
    }

    @Override
    public void recordSegmentKeyId(WalFileName fileName, String keyId) {
        try {
            ddb.updateItem(u -> u.tableName(table)
                    .key(key("wal#" + fileName))
                    .updateExpression("SET key_id = :k")
                    .conditionExpression("attribute_exists(sk)")
                    .expressionAttributeValues(Map.of(":k", s(keyId))));
        } catch (ConditionalCheckFailedException e) {
            throw new IllegalStateException("segment " + fileName + " is not recorded");
        } catch (SdkException e) {
            throw writeFailure("record the key id of " + fileName, e);
        }
    }

    @Override
    public List<SegmentRecord> segments(TimelineId timeline, long fromSegno, long toSegno) {
        Long size = segmentSize();
        if (size == null || fromSegno > toSegno) {
            return List.of();
        }
        String lo = "wal#" + new SegmentName(timeline, fromSegno, size).fileName();
        String hi = "wal#" + new SegmentName(timeline, toSegno, size).fileName();
        return query("#sk BETWEEN :lo AND :hi", Map.of(":lo", s(lo), ":hi", s(hi))).stream()
                .filter(DynamoDbCatalog::live)
                .map(DynamoDbCatalog::toSegment)
                .toList();
    }

    @Override
    public List<SegmentRecord> allSegments() {
        return prefix("wal#").stream()
                .filter(DynamoDbCatalog::live)
                .map(DynamoDbCatalog::toSegment)
                .toList();
    }

    private static SegmentRecord toSegment(Map<String, AttributeValue> i) {
        return new SegmentRecord(
                new SegmentName(TimelineId.of(num(i, "timeline")), num(i, "segno"), num(i, "segment_size")),
                num(i, "plain_size"),
                num(i, "stored_size"),
                str(i, "sha256"),
                str(i, "storage_key"),
                str(i, "key_id"),
                instant(i, "archived_at"),
                i.containsKey("indexed")
                        ? new SegmentIndex(
                                instant(i, "first_commit"),
                                instant(i, "last_commit"),
                                num(i, "min_xid"),
                                num(i, "max_xid"),
                                (int) num(i, "transactions"),
                                SegmentIndex.parseRestorePoints(str(i, "restore_points")),
                                str(i, "index_problem"))
                        : null);
    }

    /** The cluster item fixes the segment size that turns segment numbers into sort keys. */
    private void ensureClusterItem(long size) {
        Long known = segmentSize();
        if (known != null) {
            if (known != size) {
                throw new ArchiveConflictException("this cluster's archive has " + known + "-byte segments, but a "
                        + size + "-byte segment was offered");
            }
            return;
        }
        Map<String, AttributeValue> item = key("cluster");
        item.put("segment_size", n(size));
        item.put("created_at", micros(Instant.now()));
        try {
            ddb.putItem(p -> p.tableName(table).item(item).conditionExpression("attribute_not_exists(sk)"));
        } catch (ConditionalCheckFailedException e) {
            segmentSize = null;
            ensureClusterItem(size);
            return;
        } catch (SdkException e) {
            throw writeFailure("record the cluster", e);
        }
        segmentSize = size;
    }

    private Long segmentSize() {
        if (segmentSize == null) {
            segmentSize = get("cluster").map(i -> num(i, "segment_size")).orElse(null);
        }
        return segmentSize;
    }

    // ---- partial segments: one item each, replaced only by a longer one

    @Override
    public Recorded recordPartial(PartialSegment p) {
        Map<String, AttributeValue> item = key("partial#" + p.name().fileName());
        item.put("segment_size", n(p.name().segmentSize()));
        item.put("bytes", n(p.bytes()));
        item.put("record", s(p.encode()));
        try {
            ddb.putItem(x -> x.tableName(table)
                    .item(item)
                    .conditionExpression("attribute_not_exists(sk) OR #b < :b")
                    .expressionAttributeNames(Map.of("#b", "bytes"))
                    .expressionAttributeValues(Map.of(":b", n(p.bytes()))));
            return Recorded.INSERTED;
        } catch (ConditionalCheckFailedException e) {
            return Recorded.ALREADY_PRESENT;
        } catch (SdkException e) {
            throw writeFailure("record partial segment " + p.name(), e);
        }
    }

    @Override
    public Optional<PartialSegment> partial(WalFileName fileName) {
        return get("partial#" + fileName).map(DynamoDbCatalog::toPartial);
    }

    @Override
    public List<PartialSegment> partials() {
        return prefix("partial#").stream().map(DynamoDbCatalog::toPartial).toList();
    }

    @Override
    public void forgetPartial(WalFileName fileName) {
        try {
            ddb.deleteItem(d -> d.tableName(table).key(key("partial#" + fileName)));
        } catch (SdkException e) {
            throw writeFailure("forget partial segment " + fileName, e);
        }
    }

    private static PartialSegment toPartial(Map<String, AttributeValue> i) {
        String name = str(i, SK).substring("partial#".length());
        return PartialSegment.decode(SegmentName.parse(name, num(i, "segment_size")), str(i, "record"));
    }

    // ---- histories

    @Override
    public Recorded recordHistory(HistoryRecord h) {
        Map<String, AttributeValue> item = key("tli#" + h.timeline().hex());
        item.put("timeline", n(h.timeline().value()));
        item.put("content", s(h.content()));
        item.put("sha256", s(h.sha256()));
        item.put("storage_key", s(h.storageKey()));
        item.put("stored_size", n(h.storedSize()));
        item.put("archived_at", micros(h.archivedAt()));
        try {
            ddb.putItem(p -> p.tableName(table).item(item).conditionExpression("attribute_not_exists(sk)"));
            SegmentBlocks.cuts(h).forEach(this::cut);
            return Recorded.INSERTED;
        } catch (ConditionalCheckFailedException e) {
            String have = history(h.timeline()).orElseThrow().sha256();
            if (have.equals(h.sha256())) {
                return Recorded.ALREADY_PRESENT;
            }
            throw new ArchiveConflictException(
                    h.fileName() + " is already archived with a different checksum (archived " + have + ", offered "
                            + h.sha256() + ")");
        } catch (SdkException e) {
            throw writeFailure("record history " + h.fileName(), e);
        }
    }

    @Override
    public Optional<HistoryRecord> history(TimelineId timeline) {
        return get("tli#" + timeline.hex()).map(DynamoDbCatalog::toHistory);
    }

    @Override
    public List<HistoryRecord> histories() {
        return prefix("tli#").stream().map(DynamoDbCatalog::toHistory).toList();
    }

    private static HistoryRecord toHistory(Map<String, AttributeValue> i) {
        return new HistoryRecord(
                TimelineId.of(num(i, "timeline")),
                str(i, "content"),
                str(i, "sha256"),
                str(i, "storage_key"),
                num(i, "stored_size"),
                instant(i, "archived_at"));
    }

    // ---- snapshots

    @Override
    public void createSnapshot(SnapshotRecord snap) {
        Map<String, AttributeValue> item = snapshotItem(snap);
        try {
            ddb.putItem(p -> p.tableName(table).item(item).conditionExpression("attribute_not_exists(sk)"));
        } catch (ConditionalCheckFailedException e) {
            throw new ArchiveConflictException("snapshot " + snap.id() + " already exists");
        } catch (SdkException e) {
            throw writeFailure("create snapshot " + snap.id(), e);
        }
        SegmentBlocks.cut(snap).ifPresent(this::cut);
    }

    /**
     * Notes a cut a history or snapshot just recorded makes in the summary of its block; one that splits an extent sums
     * the block up again. After the record: a crash between leaves the window to split the extent itself, from records.
     */
    private void cut(SegmentBlocks.Cut c) {
        long number = SegmentBlock.numberOf(c.at());
        SegmentBlock now = blocks.readPage(c.timeline(), number >>> DynamoBlocks.PAGE_SHIFT)
                .blocks()
                .get(number);
        if (now != null && now.problem() == null && now.cuts().contains(c.at())) {
            return;
        }
        changeSummary(c.timeline(), number, b -> b.crossedBy(c.at()) ? null : b.withCut(c.at()));
    }

    @Override
    public void updateSnapshot(SnapshotRecord snap) {
        Map<String, AttributeValue> item = snapshotItem(snap);
        try {
            ddb.putItem(p -> p.tableName(table).item(item).conditionExpression("attribute_exists(sk)"));
        } catch (ConditionalCheckFailedException e) {
            throw new IllegalStateException("snapshot " + snap.id() + " does not exist");
        } catch (SdkException e) {
            throw writeFailure("update snapshot " + snap.id(), e);
        }
        SegmentBlocks.cut(snap).ifPresent(this::cut);
    }

    private Map<String, AttributeValue> snapshotItem(SnapshotRecord r) {
        Map<String, AttributeValue> item = key("snap#" + r.id().value());
        putOpt(item, "label", r.label());
        item.put("status", s(r.status().name()));
        item.put("timeline", n(r.timeline().value()));
        item.put("start_lsn", n(r.startLsn().value()));
        if (r.stopLsn() != null) {
            item.put("stop_lsn", n(r.stopLsn().value()));
        }
        item.put("start_time", micros(r.startTime()));
        putOpt(item, "stop_time", r.stopTime());
        putOpt(item, "first_segment", WalFileName.textOrNull(r.firstSegment()));
        putOpt(item, "last_segment", WalFileName.textOrNull(r.lastSegment()));
        item.put("plain_size", n(r.plainSize()));
        item.put("stored_size", n(r.storedSize()));
        putOpt(item, "sha256", r.sha256());
        item.put("storage_key", s(r.storageKey()));
        putOpt(item, "key_id", r.keyId());
        putOpt(item, "retention", r.retention().text());
        putOpt(item, "lineage", r.lineage().text());
        // where the backup_manifest is stored: the manifest itself stays out of the item
        putOpt(
                item,
                "manifest_ref",
                r.backupManifest() == null ? null : r.backupManifest().text());
        return item;
    }

    @Override
    public Optional<SnapshotRecord> snapshot(SnapshotId id) {
        return get("snap#" + id.value()).map(this::toSnapshot);
    }

    /** Where the copy of the newest restore's record is kept, and the newest drill's and passed drill's. */
    private static final String LATEST_RESTORE = "latest#restore";

    private static final String LATEST_DRILL = "latest#drill";

    private static final String LATEST_PASSED_DRILL = "latest#drill-passed";

    @Override
    public void recordRestore(RestoreRecord r) {
        Map<String, AttributeValue> item = key("restore#" + r.id());
        item.put("recorded_at", micros(r.recordedAt()));
        item.put("outcome", s(r.outcome()));
        putOpt(item, "target", r.target());
        putOpt(item, "snapshot_id", r.snapshotId());
        if (r.timeline() != null) {
            item.put("timeline", n(r.timeline()));
        }
        putOpt(item, "stopped_at", r.stoppedAt());
        putOpt(item, "error", r.error());
        putOpt(item, "cause", r.cause());
        putTiming(item, r.timing());
        try {
            // a restore's record is replaced when its last step runs again
            ddb.putItem(p -> p.tableName(table).item(item));
        } catch (SdkException e) {
            throw writeFailure("record restore " + r.id(), e);
        }
        putLatest(LATEST_RESTORE, item, "recorded_at", "record restore " + r.id());
    }

    /**
     * A copy of {@code item} under {@code sk}, unless the copy there is newer by {@code time}: the newest record is one
     * read, however many are kept. Each record is written before its copy, so a copy never names one that is not there.
     */
    private void putLatest(String sk, Map<String, AttributeValue> item, String time, String what) {
        Map<String, AttributeValue> copy = new HashMap<>(item);
        copy.put("record_sk", item.get(SK));
        copy.put(SK, s(sk));
        try {
            ddb.putItem(p -> p.tableName(table)
                    .item(copy)
                    .conditionExpression("attribute_not_exists(#sk) OR #t <= :t")
                    .expressionAttributeNames(Map.of("#sk", SK, "#t", time))
                    .expressionAttributeValues(Map.of(":t", item.get(time))));
        } catch (ConditionalCheckFailedException e) {
            // a newer one is recorded already
        } catch (SdkException e) {
            throw writeFailure(what, e);
        }
    }

    @Override
    public Optional<RestoreRecord> restore(String id) {
        return get("restore#" + id).map(DynamoDbCatalog::toRestore);
    }

    @Override
    public List<RestoreRecord> restores() {
        return prefix("restore#").stream().map(DynamoDbCatalog::toRestore).toList();
    }

    @Override
    public Optional<RestoreRecord> latestRestore() {
        return get(LATEST_RESTORE).map(DynamoDbCatalog::toRestore);
    }

    private static RestoreRecord toRestore(Map<String, AttributeValue> i) {
        return new RestoreRecord(
                recordSk(i).substring("restore#".length()),
                instant(i, "recorded_at"),
                str(i, "outcome"),
                str(i, "target"),
                str(i, "snapshot_id"),
                i.containsKey("timeline") ? num(i, "timeline") : null,
                str(i, "stopped_at"),
                str(i, "error"),
                str(i, "cause"),
                timing(i));
    }

    /** The sort key of the record {@code i} is, or is the copy of. */
    private static String recordSk(Map<String, AttributeValue> i) {
        return i.containsKey("record_sk") ? str(i, "record_sk") : str(i, SK);
    }

    @Override
    public void recordDrill(DrillRecord d) {
        Map<String, AttributeValue> item = key("drill#" + d.id());
        item.put("started_at", micros(d.startedAt()));
        item.put("finished_at", micros(d.finishedAt()));
        item.put("passed", AttributeValue.fromBool(d.passed()));
        putOpt(item, "target", d.target());
        putOpt(item, "snapshot_id", d.snapshotId());
        putTiming(item, d.timing());
        item.put("checks", s(d.checksJson()));
        putOpt(item, "error", d.error());
        putOpt(item, "cause", d.cause());
        try {
            ddb.putItem(p -> p.tableName(table).item(item));
        } catch (SdkException e) {
            throw writeFailure("record drill " + d.id(), e);
        }
        putLatest(LATEST_DRILL, item, "finished_at", "record drill " + d.id());
        if (d.passed()) {
            putLatest(LATEST_PASSED_DRILL, item, "finished_at", "record drill " + d.id());
        }
    }

    @Override
    public Optional<DrillRecord> latestDrill(boolean passedOnly) {
        return get(passedOnly ? LATEST_PASSED_DRILL : LATEST_DRILL).map(DynamoDbCatalog::drillOf);
    }

    @Override
    public Optional<DrillRecord> drill(String id) {
        return get("drill#" + id).map(DynamoDbCatalog::drillOf);
    }

    private static DrillRecord drillOf(Map<String, AttributeValue> i) {
        return new DrillRecord(
                recordSk(i).substring("drill#".length()),
                instant(i, "started_at"),
                instant(i, "finished_at"),
                i.get("passed").bool(),
                str(i, "target"),
                str(i, "snapshot_id"),
                timing(i),
                DrillRecord.parseChecks(str(i, "checks")),
                str(i, "error"),
                str(i, "cause"));
    }

    private static void putTiming(Map<String, AttributeValue> item, RecoveryTiming t) {
        if (t != null) {
            item.put("lay_down_ms", n(t.layDownMillis()));
            item.put("lay_down_bytes", n(t.layDownBytes()));
            item.put("replay_ms", n(t.replayMillis()));
            item.put("replay_bytes", n(t.replayBytes()));
            item.put("total_ms", n(t.totalMillis()));
        }
    }

    private static RecoveryTiming timing(Map<String, AttributeValue> i) {
        return i.containsKey("total_ms")
                ? new RecoveryTiming(
                        num(i, "lay_down_ms"),
                        num(i, "lay_down_bytes"),
                        num(i, "replay_ms"),
                        num(i, "replay_bytes"),
                        num(i, "total_ms"))
                : null;
    }

    @Override
    public Optional<String> clusterSetting(String name) {
        return get("setting#" + name).map(i -> str(i, "value"));
    }

    @Override
    public void putClusterSetting(String name, String value) {
        Map<String, AttributeValue> item = key("setting#" + name);
        item.put("value", s(value));
        try {
            ddb.putItem(p -> p.tableName(table).item(item));
        } catch (SdkException e) {
            throw writeFailure("record the cluster setting " + name, e);
        }
    }

    @Override
    public boolean claimRun(String job, Instant slot, String owner) {
        Map<String, AttributeValue> item = key("run#" + job + "#" + slot);
        item.put("owner", s(owner));
        try {
            ddb.putItem(p -> p.tableName(table).item(item).conditionExpression("attribute_not_exists(sk)"));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return get("run#" + job + "#" + slot)
                    .map(i -> owner.equals(str(i, "owner")))
                    .orElse(false);
        } catch (SdkException e) {
            throw writeFailure("claim the " + job + " run of " + slot, e);
        }
    }

    @Override
    public List<SnapshotRecord> snapshots() {
        return prefix("snap#").stream().map(this::toSnapshot).toList();
    }

    private SnapshotRecord toSnapshot(Map<String, AttributeValue> i) {
        String id = str(i, SK).substring("snap#".length());
        // items of earlier versions held the manifest itself (manifest_gz, or snapm# items): not read any more
        BackupManifest manifest = BackupManifest.parseOrNull(str(i, "manifest_ref"));
        return new SnapshotRecord(
                new SnapshotId(id),
                str(i, "label"),
                SnapshotRecord.Status.valueOf(str(i, "status")),
                TimelineId.of(num(i, "timeline")),
                new Lsn(num(i, "start_lsn")),
                i.containsKey("stop_lsn") ? new Lsn(num(i, "stop_lsn")) : null,
                instant(i, "start_time"),
                instant(i, "stop_time"),
                WalFileName.orNull(str(i, "first_segment")),
                WalFileName.orNull(str(i, "last_segment")),
                num(i, "plain_size"),
                num(i, "stored_size"),
                str(i, "sha256"),
                str(i, "storage_key"),
                str(i, "key_id"),
                manifest,
                RetentionState.parse(str(i, "retention")),
                SnapshotLineage.parse(str(i, "lineage")));
    }

    // ---- the shipping lease

    @Override
    public ShippingLease acquireShippingLease(String owner, Duration ttl) {
        long now = System.currentTimeMillis();
        long expires = now + ttl.toMillis();
        try {
            Map<String, AttributeValue> after = ddb.updateItem(u -> u.tableName(table)
                            .key(key(LEASE_SK))
                            .updateExpression("SET #o = :o, #e = :e ADD #t :one")
                            .conditionExpression("attribute_not_exists(sk) OR #e < :now OR #o = :o")
                            .expressionAttributeNames(Map.of("#o", "owner", "#e", "expires_at", "#t", "token"))
                            .expressionAttributeValues(
                                    Map.of(":o", s(owner), ":e", n(expires), ":now", n(now), ":one", n(1)))
                            .returnValues("ALL_NEW"))
                    .attributes();
            DynamoLease lease = new DynamoLease(owner, num(after, "token"), Instant.ofEpochMilli(expires), ttl);
            heldLease = lease;
            return lease;
        } catch (ConditionalCheckFailedException e) {
            Map<String, AttributeValue> cur = get(LEASE_SK).orElseThrow();
            throw new LeaseHeldException(str(cur, "owner"), Instant.ofEpochMilli(num(cur, "expires_at")));
        } catch (SdkException e) {
            throw writeFailure("take the shipping lease", e);
        }
    }

    private final class DynamoLease extends ExpiringLease {

        DynamoLease(String owner, long token, Instant expiresAt, Duration ttl) {
            super(owner, token, expiresAt, ttl);
        }

        @Override
        public void close() {
            if (heldLease == this) {
                heldLease = null;
            }
            super.close();
        }

        @Override
        protected void writeExpiry(Instant when) {
            try {
                ddb.updateItem(u -> u.tableName(table)
                        .key(key(LEASE_SK))
                        .updateExpression("SET #e = :e")
                        .conditionExpression("#o = :o AND #t = :t")
                        .expressionAttributeNames(Map.of("#o", "owner", "#e", "expires_at", "#t", "token"))
                        .expressionAttributeValues(
                                Map.of(":o", s(owner()), ":t", n(token()), ":e", n(when.toEpochMilli()))));
            } catch (ConditionalCheckFailedException e) {
                Map<String, AttributeValue> cur = get(LEASE_SK).orElseThrow();
                throw new LeaseHeldException(str(cur, "owner"), Instant.ofEpochMilli(num(cur, "expires_at")));
            } catch (SdkException e) {
                throw writeFailure("renew the shipping lease", e);
            }
        }
    }

    @Override
    public String describe() {
        return "dynamodb table " + table + " (" + cluster + ")";
    }

    @Override
    public void close() {
        DynamoLease l = heldLease;
        if (l != null) {
            l.close();
        }
    }

    // ---- plumbing

    private Map<String, AttributeValue> key(String sk) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put(PK, s(cluster));
        m.put(SK, s(sk));
        return m;
    }

    private Optional<Map<String, AttributeValue>> get(String sk) {
        try {
            var r = ddb.getItem(g -> g.tableName(table).key(key(sk)).consistentRead(consistent));
            return r.hasItem() && !r.item().isEmpty() ? Optional.of(r.item()) : Optional.empty();
        } catch (SdkException e) {
            throw AwsErrors.catalog("cannot read " + sk + " from " + describe(), e);
        }
    }

    /** Every item whose sort key starts with {@code p}: a range on the key (sort keys are ASCII). */
    private List<Map<String, AttributeValue>> prefix(String p) {
        return query("#sk BETWEEN :lo AND :hi", Map.of(":lo", s(p), ":hi", s(p + "\uffff")));
    }

    /** Each item whose sort key starts with {@code p}, a page at a time, none kept. */
    private void forEach(String p, java.util.function.Consumer<Map<String, AttributeValue>> each) {
        QueryRequest q = QueryRequest.builder()
                .tableName(table)
                .keyConditionExpression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expressionAttributeNames(Map.of("#pk", PK, "#sk", SK))
                .expressionAttributeValues(Map.of(":pk", s(cluster), ":lo", s(p), ":hi", s(p + "\uffff")))
                .consistentRead(consistent)
                .build();
        try {
            ddb.queryPaginator(q).items().forEach(each);
        } catch (SdkException e) {
            throw AwsErrors.catalog("cannot query " + describe(), e);
        }
    }

    private List<Map<String, AttributeValue>> query(String skCondition, Map<String, AttributeValue> values) {
        Map<String, AttributeValue> v = new HashMap<>(values);
        v.put(":pk", s(cluster));
        QueryRequest q = QueryRequest.builder()
                .tableName(table)
                .keyConditionExpression("#pk = :pk AND " + skCondition)
                .expressionAttributeNames(Map.of("#pk", PK, "#sk", SK))
                .expressionAttributeValues(v)
                .consistentRead(consistent)
                .build();
        List<Map<String, AttributeValue>> out = new ArrayList<>();
        try {
            ddb.queryPaginator(q).items().forEach(out::add);
        } catch (SdkException e) {
            throw AwsErrors.catalog("cannot query " + describe(), e);
        }
        return out;
    }

    /** A client-side failure (timeout, reset) after the request may have reached DynamoDB leaves the outcome unknown. */
    private CatalogException writeFailure(String what, SdkException e) {
        if (e instanceof SdkClientException) {
            return new CatalogException(
                    ErrorCode.CATALOG_OUTCOME_UNKNOWN,
                    "cannot tell whether DynamoDB applied: " + what + ": " + e.getMessage(),
                    "nothing was deleted; the write is idempotent and is repeated on the next attempt",
                    e);
        }
        return AwsErrors.catalog("cannot " + what + " in " + describe(), e);
    }

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    private static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    private static AttributeValue micros(Instant t) {
        return n(ChronoUnit.MICROS.between(Instant.EPOCH, t));
    }

    private static void putOpt(Map<String, AttributeValue> m, String name, String v) {
        if (v != null) {
            m.put(name, s(v));
        }
    }

    private static void putOpt(Map<String, AttributeValue> m, String name, Instant t) {
        if (t != null) {
            m.put(name, micros(t));
        }
    }

    private static long num(Map<String, AttributeValue> i, String name) {
        return Long.parseLong(i.get(name).n());
    }

    private static String str(Map<String, AttributeValue> i, String name) {
        AttributeValue v = i.get(name);
        return v == null ? null : v.s();
    }

    private static Instant instant(Map<String, AttributeValue> i, String name) {
        AttributeValue v = i.get(name);
        return v == null ? null : Instant.EPOCH.plus(Long.parseLong(v.n()), ChronoUnit.MICROS);
    }
}
