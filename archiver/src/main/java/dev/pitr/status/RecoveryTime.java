package dev.pitr.status;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.DrillRecord;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.RecoveryTiming;
import dev.pitr.catalog.RestoreRecord;
import dev.pitr.catalog.SegmentBlock;
import dev.pitr.catalog.SnapshotChain;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.wal.Lsn;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The worst-case recovery time now: a restore to the latest point lays down the newest complete snapshot's chain and
 * replays every byte of WAL from the snapshot's start to the newest archived. Each part is timed at the rate the
 * newest drill or local restore measured ({@link RecoveryTiming}), or at an assumed rate, stated, until one did.
 */
public record RecoveryTime(
        String snapshot, long layDownBytes, long replayBytes, double layDownRate, double replayRate, String rates) {

    /**
     * Assumed until a drill or a restore measures: half what a restore lays down on 2 cores (200 MB/s) and a third of
     * what PostgreSQL replays of pgbench WAL from the prefetch spool (150 MB/s), so the estimate errs long.
     */
    public static final double ASSUMED_LAY_DOWN_BYTES_PER_SECOND = 100e6;

    public static final double ASSUMED_REPLAY_BYTES_PER_SECOND = 50e6;

    public Duration layDown() {
        return Duration.ofMillis((long) Math.ceil(layDownBytes / layDownRate * 1000));
    }

    public Duration replay() {
        return Duration.ofMillis((long) Math.ceil(replayBytes / replayRate * 1000));
    }

    public Duration total() {
        return layDown().plus(replay());
    }

    /**
     * From the catalog: the newest complete snapshot whose chain is whole, the newest WAL archived (complete or as far
     * as shipped), and the newest measurement. Empty with no snapshot to restore from.
     */
    public static Optional<RecoveryTime> now(Catalog catalog) {
        List<SnapshotRecord> snaps = catalog.snapshots();
        var lookup = SnapshotChain.lookup(snaps);
        Optional<SnapshotChain> newest = snaps.stream()
                .filter(s -> s.status() == SnapshotRecord.Status.COMPLETE)
                .sorted(Comparator.comparing(SnapshotRecord::stopLsn).reversed())
                .map(s -> SnapshotChain.resolve(s, lookup).chain())
                .flatMap(Optional::stream)
                .findFirst();
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        Lsn end = null;
        for (SegmentBlock b : catalog.segmentBlocks()) {
            SegmentBlock.Newest n = b.newest();
            if (n != null && (end == null || end.isBefore(n.endLsn()))) {
                end = n.endLsn();
            }
        }
        for (PartialSegment p : catalog.partials()) {
            Lsn e = p.asSegment().endLsn();
            if (end == null || end.isBefore(e)) {
                end = e;
            }
        }
        return Optional.of(of(newest.get(), end, measured(catalog)));
    }

    /** For {@code chain} with WAL archived up to {@code walEnd} (null: none), at the rates {@code measured} gives. */
    public static RecoveryTime of(SnapshotChain chain, Lsn walEnd, Optional<Measured> measured) {
        long start = chain.top().startLsn().value();
        long wal = walEnd == null ? 0 : Math.max(0, walEnd.value() - start);
        OptionalDouble lay =
                measured.map(m -> m.timing().layDownBytesPerSecond()).orElse(OptionalDouble.empty());
        OptionalDouble replay =
                measured.map(m -> m.timing().replayBytesPerSecond()).orElse(OptionalDouble.empty());
        String rates = measured.isPresent() && (lay.isPresent() || replay.isPresent())
                ? "measured by " + measured.get().by()
                        + (lay.isPresent() && replay.isPresent() ? "" : "; the other assumed")
                : "assumed until a drill or a restore measures them";
        return new RecoveryTime(
                chain.top().id().value(),
                chain.plainSize(),
                wal,
                lay.orElse(ASSUMED_LAY_DOWN_BYTES_PER_SECOND),
                replay.orElse(ASSUMED_REPLAY_BYTES_PER_SECOND),
                rates);
    }

    /** A timing and what measured it ({@code drill <id>}, {@code restore <id>}). */
    public record Measured(RecoveryTiming timing, String by) {}

    /** The newer of the last passed drill's and the last restore's timing, when either has one. */
    public static Optional<Measured> measured(Catalog catalog) {
        Optional<DrillRecord> drill = catalog.latestDrill(true).filter(d -> d.timing() != null);
        Optional<RestoreRecord> restore =
                catalog.latestRestore().filter(r -> r.timing() != null && "restored".equals(r.outcome()));
        if (drill.isPresent()
                && (restore.isEmpty()
                        || !drill.get().finishedAt().isBefore(restore.get().recordedAt()))) {
            return Optional.of(
                    new Measured(drill.get().timing(), "drill " + drill.get().id()));
        }
        return restore.map(r -> new Measured(r.timing(), "restore " + r.id()));
    }
}
