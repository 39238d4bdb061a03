package dev.pitr.wal;

import dev.pitr.catalog.LeaseHeldException;
import dev.pitr.catalog.ShippingLease;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Primary;
import dev.pitr.postgres.Slots;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The long-running capture: keeps {@code pg_receivewal} streaming from the slot into the spool, restarting it with
 * backoff when it exits (the primary may be down for a while), and ships every completed file the spool holds. A stop
 * request lets the current shipping pass finish, stops the receiver with SIGINT, and ships what it completed.
 *
 * <p>Its parts each own one concern: {@link Receiver} the process, {@link ForkWatch} its output, {@link Backoff} when
 * to start it again, {@link LeaseKeeper} the shipping lease, {@link SpoolRoom} the spool's free space, {@link
 * StandbySlots} the slot on a standby and {@link DeadBranch} the WAL a failover left behind. Time comes from the
 * clock and waits go through the sleeper, both given.
 */
public final class CaptureService {

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final long MIB = 1024 * 1024;

    private final PgTools tools;
    private final Primary primary;
    private final String slot;
    private final Path spool;
    private final WalShipper shipper;
    private final Duration poll;
    private final Duration leaseTtl;
    private final Clock clock;
    private final Sleeper sleeper;
    private final PrintWriter log;
    private final Receiver receiver;
    /** Failures that repeating the same request cannot fix. */
    static final java.util.Set<ErrorCode> PERMANENT = java.util.EnumSet.of(
            ErrorCode.SERVICE_REJECTED,
            ErrorCode.ACCESS_DENIED,
            ErrorCode.REPOSITORY_NOT_FOUND,
            ErrorCode.UNSUPPORTED_VERSION);

    private final Backoff backoff = new Backoff(MAX_BACKOFF);
    /** Shipping after a failure no attempt can fix (the service rejected the request, access denied): once a minute. */
    private final Backoff rejected = new Backoff(Duration.ofMinutes(1));

    private boolean rejecting;
    private boolean problemCleared;
    private final Backoff partialRejected = new Backoff(Duration.ofMinutes(1));
    private final SpoolRoom room;
    private final StandbySlots standbySlots;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile LeaseHeldException lost;

    private Instant receiverStarted;
    /** The resume point capture made for the running pg_receivewal, if it made one. */
    private Path seeded;

    private long segmentSize;
    /** The end of the newest segment this capture has seen archived: how far a standby's slot may advance. */
    private Lsn archivedUpTo;

    private PartialShipper partials;
    private String lastPartialProblem;
    private boolean forkPending;

    /**
     * Capture as the configuration describes it: the primary, the slot, the spool, shipping {@code wal.ship_parallelism}
     * segments at once into {@code repo}, and the segment still being written too when {@code wal.ship_partial} is on.
     */
    public static CaptureService from(Config config, Repository repo, Clock clock, PrintWriter log) {
        CaptureService capture = new CaptureService(
                PgTools.from(config),
                Primary.from(config),
                config.require(Key.WAL_SLOT),
                config.requirePath(Key.WAL_SPOOL_DIR),
                new WalShipper(repo, clock, config.requireInt(Key.WAL_SHIP_PARALLELISM)),
                Duration.ofMillis(config.requireInt(Key.WAL_POLL_MILLIS)),
                Duration.ofSeconds(config.requireInt(Key.CATALOG_LEASE_SECONDS)),
                clock,
                Sleeper.SYSTEM,
                log);
        if (config.requireBoolean(Key.WAL_SHIP_PARTIAL)) {
            capture.shippingPartials(new PartialShipper(
                    repo, clock, Duration.ofMillis(config.requireInt(Key.WAL_PARTIAL_INTERVAL_MILLIS))));
        }
        return capture;
    }

    public CaptureService(
            PgTools tools,
            Primary primary,
            String slot,
            Path spool,
            WalShipper shipper,
            Duration poll,
            Duration leaseTtl,
            Clock clock,
            Sleeper sleeper,
            PrintWriter log) {
        this.tools = tools;
        this.primary = primary;
        this.slot = slot;
        this.spool = spool;
        this.shipper = shipper;
        this.poll = poll;
        this.leaseTtl = leaseTtl;
        this.clock = clock;
        this.sleeper = sleeper;
        this.log = log;
        this.receiver = new Receiver(spool, log);
        this.room = new SpoolRoom(spool, slot, SpoolRoom.FILESYSTEM, this::slotHolds, clock, this::log);
        this.standbySlots = new StandbySlots(primary, slot, clock, this::log);
    }

    /** Also ships the segment being written as it grows ({@code wal.ship_partial}); see {@link PartialShipper}. */
    public CaptureService shippingPartials(PartialShipper p) {
        this.partials = p;
        return this;
    }

    /**
     * Runs until {@link #requestStop()}. Refuses to start, with {@link LeaseHeldException}, while another capture holds
     * the cluster's shipping lease; stops shipping if the lease is lost.
     */
    public void run() {
        try (SpoolLock lock = SpoolLock.acquire(spool);
                ShippingLease lease = shipper.catalog().acquireShippingLease(owner(), leaseTtl)) {
            LeaseKeeper keeper = new LeaseKeeper(lease, leaseTtl, clock, this::log);
            stopOrphanedReceiver();
            if (partials != null) {
                sweepPartials();
            }
            log("capture started: slot " + slot + " on " + primary.describe() + " into " + spool + " (lease token "
                    + lease.token() + ")");
            while (!stopping) {
                if (!keeper.keep()) {
                    lost = keeper.lost().orElseThrow();
                    break;
                }
                superviseReceiver();
                shipOnce();
                shipPartials();
                standbySlots.keep(archivedUpTo);
                sleeper.sleep(poll);
            }
            receiver.stop();
            if (lost == null) {
                // what the receiver completed on its way out; a capture that lost its lease leaves it to its successor
                shipOnce();
            }
            log("capture stopped");
        } finally {
            stopped.countDown();
        }
    }

    /** Asks {@link #run()} to finish; safe from a shutdown hook. */
    public void requestStop() {
        stopping = true;
    }

    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The lease lost while running, if it was; the command reports it. */
    public Optional<LeaseHeldException> lostLease() {
        return Optional.ofNullable(lost);
    }

    /**
     * The spool, not the process, owns the lease: the spool lock already proves that a capture restarted on the same
     * spool after a crash is the only one, so it takes over at once (with a new token) instead of waiting for expiry.
     */
    private String owner() {
        return OsUser.hostName() + ":" + spool.toAbsolutePath();
    }

    private void shipOnce() {
        if (!rejected.due(clock.instant())) {
            return;
        }
        try {
            for (WalShipper.Shipped s : shipper.shipSpool(spool)) {
                if (SegmentName.isSegmentFileName(s.fileName())) {
                    Lsn end = SegmentName.parse(s.fileName(), s.plainBytes()).endLsn();
                    archivedUpTo = archivedUpTo == null || end.isAfter(archivedUpTo) ? end : archivedUpTo;
                    if (partials != null) {
                        partials.completed(s.fileName()).ifPresent(this::log);
                    }
                }
                log(
                        s.outcome() == WalShipper.Outcome.ARCHIVED
                                ? "archived " + s.fileName() + " (" + s.plainBytes() + " -> " + s.storedBytes()
                                        + " bytes)"
                                : s.fileName() + " was already archived");
            }
            if (rejecting) {
                rejecting = false;
                rejected.succeeded();
                log("shipping works again");
            }
            if (!problemCleared) {
                // also one an earlier process left: it shipped since
                CaptureProblem.clear(spool);
                problemCleared = true;
            }
        } catch (PitrException e) {
            if (PERMANENT.contains(e.code())) {
                // the same request fails the same way until someone changes something: say so, and wait
                rejecting = true;
                problemCleared = false;
                Duration wait = rejected.failed(clock.instant());
                CaptureProblem.record(spool, e, clock.instant());
                log("shipping failed (" + e.code().label() + "), retrying in " + wait.toSeconds() + " s: "
                        + e.getMessage() + (e.hint() == null ? "" : " HINT: " + e.hint()));
            } else {
                // keep the local copy and try again on the next pass
                log("shipping failed, will retry: " + e.getMessage());
            }
        } catch (UncheckedIOException e) {
            // keep the local copy and try again on the next pass
            log("shipping failed, will retry: " + e.getMessage());
        }
    }

    /** Ships what the segment being written gained since the last pass; a failure is retried on the next pass. */
    private void shipPartials() {
        if (partials == null
                || segmentSize == 0
                || !rejected.due(clock.instant())
                || !partialRejected.due(clock.instant())) {
            return;
        }
        try {
            for (String line : partials.shipOnce(spool, segmentSize)) {
                if (!line.startsWith("shipped ")) {
                    log(line);
                }
            }
            lastPartialProblem = null;
            partialRejected.succeeded();
        } catch (PitrException | UncheckedIOException e) {
            if (e instanceof PitrException p && PERMANENT.contains(p.code())) {
                partialRejected.failed(clock.instant());
            }
            // the complete segment still ships as ever; say so once, not every pass
            if (!e.getMessage().equals(lastPartialProblem)) {
                log("shipping the segment being written failed, will retry: " + e.getMessage());
                lastPartialProblem = e.getMessage();
            }
        }
    }

    private void sweepPartials() {
        try {
            partials.sweep().forEach(this::log);
        } catch (PitrException e) {
            log("cannot look at earlier partial segments, will go on: " + e.getMessage());
        }
    }

    /**
     * Removes the resume point capture made when pg_receivewal wrote nothing into it (the server refused to stream
     * from there): left in place, it would name the same start at every retry instead of where the slot stands then.
     */
    private void forgetUnusedSeed() {
        Path s = seeded;
        seeded = null;
        if (s != null && PartialSegments.unwritten(s)) {
            try {
                java.nio.file.Files.deleteIfExists(s);
                log("removed " + s.getFileName() + ": pg_receivewal wrote nothing into it");
            } catch (IOException e) {
                log("cannot remove " + s + ", which pg_receivewal wrote nothing into: " + e.getMessage());
            }
        }
    }

    private void superviseReceiver() {
        if (receiver.started()) {
            if (receiver.alive()) {
                backoff.running(receiverStarted, clock.instant());
                return;
            }
            Receiver.Exit exit = receiver.reap();
            forgetUnusedSeed();
            exit.forkedFrom().ifPresent(at -> {
                log("pg_receivewal was refused: the primary's history forked from " + at
                        + ", before where it would start. The WAL received beyond that is a dead branch of the old"
                        + " timeline; once its complete segments are shipped, capture sets the rest aside and starts"
                        + " again from the slot");
                forkPending = true;
            });
            if (!room.hasRoom(segmentSize)) {
                // not a fault of the server's: start again as soon as a segment fits, without backing off
                return;
            }
            log("pg_receivewal exited with code " + exit.code() + "; restarting in "
                    + backoff.next().toSeconds() + "s");
            backoff.failed(clock.instant());
        }
        if (!backoff.due(clock.instant())) {
            return;
        }
        if (forkPending) {
            if (!setAsideDeadBranch()) {
                return;
            }
            forkPending = false;
        }
        try {
            if (Slots.ensure(primary, slot)) {
                log("created replication slot " + slot);
            }
            if (segmentSize == 0) {
                segmentSize = primary.walSegmentSize();
            }
            if (!room.hasRoom(segmentSize)) {
                return;
            }
            for (String name : PartialSegments.finishInterruptedPadding(spool, segmentSize)) {
                log("finished the zero padding of " + name + " that an interrupted pg_receivewal left short");
            }
            int serverMajor = Primary.major(primary.queryOne("SHOW server_version_num"));
            if (serverMajor < 15) {
                Optional<SegmentName> restart = Slots.restartSegment(primary, slot, segmentSize);
                if (restart.isPresent()
                        && PartialSegments.seedResumePoint(spool, restart.get().fileName(), segmentSize)) {
                    seeded = spool.resolve(restart.get().fileName() + PartialSegments.SUFFIX);
                    log("pg_receivewal resumes at " + restart.get().fileName() + ", where slot " + slot
                            + " stands (PostgreSQL " + serverMajor + " does not tell it)");
                }
            }
            List<String> cmd = new ArrayList<>();
            cmd.add(tools.forMajor(serverMajor).path("pg_receivewal"));
            cmd.addAll(primary.clientArgs());
            cmd.addAll(List.of("-D", spool.toString(), "-S", slot, "--synchronous", "--no-loop"));
            receiver.start(cmd, primary.clientEnv());
            receiverStarted = clock.instant();
            log("pg_receivewal started (pid " + receiver.pid() + ")");
        } catch (PitrException | IOException e) {
            log("cannot start pg_receivewal, retrying in " + backoff.next().toSeconds() + "s: " + e.getMessage());
            backoff.failed(clock.instant());
        }
    }

    /** What the slot keeps in the primary's pg_wal, for the spool-full message. */
    private String slotHolds() {
        try {
            return Slots.retainedBytes(primary, slot).stream()
                    .mapToObj(b -> b / MIB + " MiB")
                    .findFirst()
                    .orElse("?");
        } catch (PitrException e) {
            return "? (" + e.getMessage() + ")";
        }
    }

    /** @return false while complete segments still wait to be shipped, or the move failed */
    private boolean setAsideDeadBranch() {
        try {
            Optional<DeadBranch.Moved> moved = DeadBranch.setAside(spool, clock.instant());
            moved.ifPresent(m -> log("set " + m.names() + " aside in " + m.dir()
                    + "; pg_receivewal starts again from the slot " + slot));
            return moved.isPresent();
        } catch (IOException e) {
            log("cannot set the dead branch aside, will retry: " + e.getMessage());
            return false;
        }
    }

    private void stopOrphanedReceiver() {
        try {
            receiver.stopOrphan(this::log);
        } catch (IOException | RuntimeException e) {
            log("could not stop earlier pg_receivewal: " + e.getMessage());
        }
    }

    private void log(String msg) {
        log.println(clock.instant() + " " + msg);
        log.flush();
    }
}
