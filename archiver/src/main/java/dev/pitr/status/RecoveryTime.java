package dev.pitr.status;

import dev.pitr.catalog.Catalog;
import dev.pitr.catalog.PartialSegment;
import dev.pitr.catalog.RecoveryTiming;
import dev.pitr.catalog.SegmentBlock;
import dev.pitr.catalog.SnapshotChain;
import dev.pitr.catalog.SnapshotRecord;
import dev.pitr.wal.Lsn;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The worst-case recovery time now: a restore to the latest point lays down the newest complete snapshot's chain and
 * replays every byte of WAL from the snapshot's start to the newest archived. Each part is timed at the rate the
 * newest drill or local restore measured ({@link RecoveryTiming}), or at an assumed rate, stated, until one did; what
 * else that restore spent (plan, checks, the server's start and promotion) is added as it was.
 */
public record RecoveryTime(
        String snapshot,
        long layDownBytes,
        long replayBytes,
        double layDownRate,
        double replayRate,
        Duration overhead,
        long snapshotWalBytes,
        String rates) {

    /**
     * Assumed until a drill or a restore measures: half what a restore lays down on 2 cores (200 MB/s) and a third of
     * what PostgreSQL replays of pgbench WAL from the prefetch spool (150 MB/s), so the estimate errs long.
     */
    public static final double ASSUMED_LAY_DOWN_BYTES_PER_SECOND = 100e6;

    public static final double ASSUMED_REPLAY_BYTES_PER_SECOND = 50e6;

    /**
     * What a restore spends beside the lay-down and the replay (the plan, preparing the directory, checking the files
     * laid down, starting and promoting the server), assumed until one measured it.
     */
    public static final Duration ASSUMED_OVERHEAD = Duration.ofSeconds(5);

    public Duration layDown() {
        return Duration.ofMillis((long) Math.ceil(layDownBytes / layDownRate * 1000));
    }

    public Duration replay() {
        return Duration.ofMillis((long) Math.ceil(replayBytes / replayRate * 1000));
    }

    public Duration total() {
        return layDown().plus(replay()).plus(overhead);
    }

    /**
     * About what the recovery time would be right after a new snapshot like the newest: its lay-down, what a restore
     * spends beside, and the replay of the WAL written while the snapshot was taken ({@code snapshotWalBytes}). No
     * snapshot brings the recovery time under this.
     */
    public Duration afterASnapshot() {
        return layDown().plus(overhead).plus(Duration.ofMillis((long) Math.ceil(snapshotWalBytes / replayRate * 1000)));
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
    public static RecoveryTime of(SnapshotChain chain, Lsn walEnd, List<Measured> measured) {
        long start = chain.top().startLsn().value();
        long wal = walEnd == null ? 0 : Math.max(0, walEnd.value() - start);
        // per phase, the newest measurement that tells it
        Optional<Measured> lay = measured.stream()
                .filter(m -> m.timing().layDownBytesPerSecond().isPresent())
                .findFirst();
        Optional<Measured> replay = measured.stream()
                .filter(m -> m.timing().replayBytesPerSecond().isPresent())
                .findFirst();
        Duration overhead = measured.isEmpty()
                ? ASSUMED_OVERHEAD
                : Duration.ofMillis(Math.max(
                        0,
                        measured.get(0).timing().totalMillis()
                                - measured.get(0).timing().layDownMillis()
                                - measured.get(0).timing().replayMillis()));
        String rates = lay.isEmpty() && replay.isEmpty()
                ? "assumed until a drill or a restore measures them"
                : "lay-down " + lay.map(m -> "measured by " + m.by()).orElse("assumed") + ", replay "
                        + replay.map(m -> "measured by " + m.by()).orElse("assumed");
        return new RecoveryTime(
                chain.top().id().value(),
                chain.plainSize(),
                wal,
                lay.map(m -> m.timing().layDownBytesPerSecond().getAsDouble())
                        .orElse(ASSUMED_LAY_DOWN_BYTES_PER_SECOND),
                replay.map(m -> m.timing().replayBytesPerSecond().getAsDouble())
                        .orElse(ASSUMED_REPLAY_BYTES_PER_SECOND),
                overhead,
                Math.max(0, chain.top().stopLsn().value() - start),
                rates);
    }

    /** A timing and what measured it ({@code drill <id>}, {@code restore <id>}). */
    public record Measured(RecoveryTiming timing, java.time.Instant at, String by) {}

    /** The last passed drill's and the last restore's timings, newest first, those that have one. */
    public static List<Measured> measured(Catalog catalog) {
        List<Measured> out = new java.util.ArrayList<>();
        catalog.latestDrill(true)
                .filter(d -> d.timing() != null)
                .ifPresent(d -> out.add(new Measured(d.timing(), d.finishedAt(), "drill " + d.id())));
        catalog.latestRestore()
                .filter(r -> r.timing() != null && "restored".equals(r.outcome()))
                .ifPresent(r -> out.add(new Measured(r.timing(), r.recordedAt(), "restore " + r.id())));
        out.sort(Comparator.comparing(Measured::at).reversed());
        return out;
    }
}
