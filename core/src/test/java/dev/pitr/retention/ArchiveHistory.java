package dev.pitr.retention;

import dev.pitr.catalog.HistoryRecord;
import dev.pitr.catalog.RetentionState;
import dev.pitr.catalog.SegmentIndex;
import dev.pitr.catalog.SegmentRecord;
import dev.pitr.catalog.SnapshotId;
import dev.pitr.catalog.SnapshotLineage;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import dev.pitr.wal.WalFileName;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A random archive history as the catalog would record it: WAL segments one after another, each spanning a random
 * stretch of time with transaction ends in it; timeline switches (sometimes the old primary goes on for a while);
 * segments that never arrived; snapshots, some failed, some pinned, maybe one still running at the end.
 */
public final class ArchiveHistory {

    static final long SEG = 16L << 20;
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    public final List<SegmentRecord> segments = new ArrayList<>();
    public final List<HistoryRecord> histories = new ArrayList<>();
    public final List<SnapshotRecord> snapshots = new ArrayList<>();
    public final Instant now;
    public final String description;

    ArchiveHistory(long seed) {
        this(seed, 80, 480);
    }

    /** A history of {@code min} to {@code max} segments. */
    public ArchiveHistory(long seed, int min, int max) {
        Random r = new Random(seed);
        int count = min + r.nextInt(max - min);
        Duration span = Duration.ofMinutes(5 + r.nextInt(180));
        double switchChance = r.nextInt(3) == 0 ? 0 : 0.01 + r.nextDouble() * 0.02;
        double gapChance = r.nextInt(3) == 0 ? 0 : r.nextDouble() * 0.01;
        double snapshotChance = 0.02 + r.nextDouble() * 0.15;
        TimelineId tli = TimelineId.of(1);
        StringBuilder history = new StringBuilder();
        int abandonedLeft = 0;
        TimelineId abandoned = null;
        int switches = 0;
        for (long n = 1; n <= count; n++) {
            Instant from = T0.plus(span.multipliedBy(n));
            if (n > 3 && r.nextDouble() < switchChance) {
                long switchpoint = n * SEG + 0x100;
                history.append(tli.value())
                        .append('\t')
                        .append(new Lsn(switchpoint))
                        .append("\tno recovery target specified\n");
                abandoned = tli;
                abandonedLeft = r.nextInt(3) == 0 ? 1 + r.nextInt(4) : 0;
                tli = TimelineId.of(tli.value() + 1);
                histories.add(new HistoryRecord(
                        tli,
                        history.toString(),
                        "h" + tli.value(),
                        "wal/" + String.format("%08X", tli.value()) + ".history",
                        40,
                        from));
                switches++;
            }
            if (abandonedLeft > 0) {
                segments.add(segment(abandoned, n, from, span));
                abandonedLeft--;
            }
            if (r.nextDouble() >= gapChance) {
                segments.add(segment(tli, n, from, span));
            }
            if (n + 1 < count && r.nextDouble() < snapshotChance) {
                SnapshotRecord.Status status =
                        r.nextInt(12) == 0 ? SnapshotRecord.Status.FAILED : SnapshotRecord.Status.COMPLETE;
                snapshots.add(
                        incrementalOrNot(r, snapshot(tli, n, from.plusSeconds(1), span, status, r.nextInt(15) == 0)));
            }
        }
        if (r.nextInt(4) == 0) {
            Instant from = T0.plus(span.multipliedBy(count));
            snapshots.add(incrementalOrNot(
                    r, snapshot(tli, count, from.plusSeconds(2), span, SnapshotRecord.Status.RUNNING, false)));
        }
        now = T0.plus(span.multipliedBy(count + 1)).plusSeconds(r.nextInt(600));
        description = "seed " + seed + ": " + count + " segments of " + span.toMinutes() + " min, " + switches
                + " timeline switches, " + snapshots.size() + " snapshots";
    }

    /**
     * {@code s}, or half the time an incremental on the newest complete snapshot of its timeline (the parent an
     * incremental snapshot takes), when there is one.
     */
    private SnapshotRecord incrementalOrNot(Random r, SnapshotRecord s) {
        if (r.nextBoolean()) {
            return s;
        }
        for (int i = snapshots.size() - 1; i >= 0; i--) {
            SnapshotRecord p = snapshots.get(i);
            if (p.status() == SnapshotRecord.Status.COMPLETE && p.timeline().equals(s.timeline())) {
                return s.withLineage(new SnapshotLineage(SnapshotLineage.Kind.BLOCK, p.id()));
            }
        }
        return s;
    }

    private static SegmentRecord segment(TimelineId tli, long n, Instant from, Duration span) {
        SegmentName name = new SegmentName(tli, n, SEG);
        Instant firstEnd = from.plusSeconds(1);
        Instant lastEnd = from.plus(span).minusSeconds(1);
        return new SegmentRecord(
                name,
                SEG,
                SEG / 8,
                "sha" + name.fileName(),
                "wal/" + name.fileName() + ".zst",
                null,
                from.plus(span),
                new SegmentIndex(firstEnd, lastEnd, 100 * n, 100 * n + 99, 100, List.of(), null));
    }

    /** A snapshot started in segment {@code n} and consistent in it: its start is just after the segment's first end. */
    private static SnapshotRecord snapshot(
            TimelineId tli, long n, Instant start, Duration span, SnapshotRecord.Status status, boolean pinned) {
        String id = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                .withZone(ZoneOffset.UTC)
                .format(start);
        WalFileName first = new SegmentName(tli, n, SEG).walFileName();
        boolean running = status == SnapshotRecord.Status.RUNNING;
        return new SnapshotRecord(
                new SnapshotId(id),
                "t",
                status,
                tli,
                new Lsn(n * SEG + 0x28),
                running ? null : new Lsn(n * SEG + 0x2000),
                start,
                running ? null : start.plus(span.dividedBy(2)),
                first,
                running ? null : first,
                1000,
                100,
                "s",
                "snapshots/" + id + "/base.tar.zst",
                null,
                null,
                pinned ? RetentionState.PINNED : RetentionState.RETAINED);
    }
}
