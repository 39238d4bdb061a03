package dev.pitr.wal;

import dev.pitr.catalog.LeaseHeldException;
import dev.pitr.catalog.ShippingLease;
import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.config.Repository;
import dev.pitr.error.PitrException;
import dev.pitr.postgres.PgTools;
import dev.pitr.postgres.Primary;
import dev.pitr.postgres.Processes;
import dev.pitr.postgres.Slots;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
 */
public final class CaptureService {

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final String PID_FILE = ".pg_receivewal.pid";

    private final PgTools tools;
    private final Primary primary;
    private final String slot;
    private final Path spool;
    private final WalShipper shipper;
    private final Duration poll;
    private final Duration leaseTtl;
    private final PrintWriter log;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile LeaseHeldException lost;

    private Process receiver;
    private Instant receiverStarted;
    private Instant nextStart = Instant.EPOCH;
    private Duration backoff = Duration.ofSeconds(1);
    private long segmentSize;
    /** The end of the newest segment this capture has seen archived: how far a standby's slot may advance. */
    private Lsn archivedUpTo;

    private Instant nextStandbyCare = Instant.EPOCH;
    private String lastStandbyProblem;
    private PartialShipper partials;
    private String lastPartialProblem;
    private Instant spoolFullSince;
    /** Set by the output reader when the walsender refused to stream: where the new primary's history forked. */
    private volatile String forkedBefore;

    private boolean forkPending;
    private Thread outputReader;
    private Instant nextSpoolFullLog = Instant.EPOCH;
    private static final long MIB = 1024 * 1024;

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
                log);
        if (config.requireBoolean(Key.WAL_SHIP_PARTIAL)) {
            capture.shippingPartials(new PartialShipper(repo, clock));
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
            PrintWriter log) {
        this.tools = tools;
        this.primary = primary;
        this.slot = slot;
        this.spool = spool;
        this.shipper = shipper;
        this.poll = poll;
        this.leaseTtl = leaseTtl;
        this.log = log;
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
            stopOrphanedReceiver();
            if (partials != null) {
                sweepPartials();
            }
            log("capture started: slot " + slot + " on " + primary.describe() + " into " + spool + " (lease token "
                    + lease.token() + ")");
            while (!stopping) {
                if (!renew(lease)) {
                    break;
                }
                superviseReceiver();
                shipOnce();
                shipPartials();
                keepStandbySlots();
                sleep(poll);
            }
            stopReceiver();
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

    /** Renews at a third of the lease's life; false when another process took it, which ends shipping here. */
    private boolean renew(ShippingLease lease) {
        if (Instant.now()
                .isBefore(lease.expiresAt().minus(leaseTtl.multipliedBy(2).dividedBy(3)))) {
            return true;
        }
        try {
            lease.renew();
            return true;
        } catch (LeaseHeldException e) {
            log("shipping lease lost, stopping: " + e.getMessage());
            lost = e;
            return false;
        } catch (PitrException e) {
            log("cannot renew the shipping lease, will retry: " + e.getMessage());
            return true;
        }
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
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "unknown-host";
        }
        return host + ":" + spool.toAbsolutePath();
    }

    private void shipOnce() {
        try {
            for (WalShipper.Shipped s : shipper.shipSpool(spool)) {
                if (SegmentName.isSegmentFileName(s.fileName())) {
                    Lsn end = SegmentName.parse(s.fileName(), s.plainBytes()).endLsn();
                    archivedUpTo = archivedUpTo == null || end.isAfter(archivedUpTo) ? end : archivedUpTo;
                    if (partials != null) {
                        partials.completed(s.fileName());
                    }
                }
                log(
                        s.outcome() == WalShipper.Outcome.ARCHIVED
                                ? "archived " + s.fileName() + " (" + s.plainBytes() + " -> " + s.storedBytes()
                                        + " bytes)"
                                : s.fileName() + " was already archived");
            }
        } catch (PitrException | java.io.UncheckedIOException e) {
            // keep the local copy and try again on the next pass
            log("shipping failed, will retry: " + e.getMessage());
        }
    }

    /** Ships what the segment being written gained since the last pass; a failure is retried on the next pass. */
    private void shipPartials() {
        if (partials == null || segmentSize == 0) {
            return;
        }
        try {
            for (String line : partials.shipOnce(spool, segmentSize)) {
                if (!line.startsWith("shipped ")) {
                    log(line);
                }
            }
            lastPartialProblem = null;
        } catch (PitrException | java.io.UncheckedIOException e) {
            // the complete segment still ships as ever; say so once, not every pass
            if (!e.getMessage().equals(lastPartialProblem)) {
                log("shipping the segment being written failed, will retry: " + e.getMessage());
                lastPartialProblem = e.getMessage();
            }
        }
    }

    private void sweepPartials() {
        try {
            partials.sweep();
        } catch (PitrException e) {
            log("cannot look at earlier partial segments, will go on: " + e.getMessage());
        }
    }

    /** With a standby configured, keeps the capture slot on whichever server is a standby now (see {@link Slots#keepOnStandby}). */
    private void keepStandbySlots() {
        List<Primary> servers = primary.servers();
        if (servers.size() < 2 || Instant.now().isBefore(nextStandbyCare)) {
            return;
        }
        nextStandbyCare = Instant.now().plusSeconds(2);
        for (Primary server : servers) {
            try {
                String did = Slots.keepOnStandby(server, slot, archivedUpTo);
                if (did != null) {
                    log(did);
                }
            } catch (PitrException e) {
                // a server that is down now is looked at again on the next round; say so once, not every round
                if (!e.getMessage().equals(lastStandbyProblem)) {
                    log("cannot keep slot " + slot + " on " + server.describe() + ", will retry: " + e.getMessage());
                    lastStandbyProblem = e.getMessage();
                }
            }
        }
    }

    private void superviseReceiver() {
        if (receiver != null) {
            if (receiver.isAlive()) {
                if (Duration.between(receiverStarted, Instant.now()).compareTo(MAX_BACKOFF) > 0) {
                    backoff = Duration.ofSeconds(1);
                }
                return;
            }
            int code = receiver.exitValue();
            receiver = null;
            try {
                outputReader.join(2_000); // its last lines may say why it exited
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (forkedBefore != null) {
                log(
                        "pg_receivewal was refused: the primary's history forked from " + forkedBefore
                                + ", before where it would start. The WAL received beyond that is a dead branch of the old timeline;"
                                + " once its complete segments are shipped, capture sets the rest aside and starts again from the slot");
                forkPending = true;
                forkedBefore = null;
            }
            if (!spoolHasRoom()) {
                // not a fault of the server's: start again as soon as a segment fits, without backing off
                return;
            }
            log("pg_receivewal exited with code " + code + "; restarting in " + backoff.toSeconds() + "s");
            nextStart = Instant.now().plus(backoff);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        if (Instant.now().isBefore(nextStart)) {
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
            if (!spoolHasRoom()) {
                return;
            }
            for (String name : PartialSegments.finishInterruptedPadding(spool, segmentSize)) {
                log("finished the zero padding of " + name + " that an interrupted pg_receivewal left short");
            }
            List<String> cmd = new ArrayList<>();
            cmd.add(tools.path("pg_receivewal"));
            cmd.addAll(primary.clientArgs());
            cmd.addAll(List.of("-D", spool.toString(), "-S", slot, "--synchronous", "--no-loop"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(primary.clientEnv());
            receiver = pb.start();
            forwardOutput(receiver);
            receiverStarted = Instant.now();
            Files.writeString(spool.resolve(PID_FILE), Long.toString(receiver.pid()), StandardCharsets.UTF_8);
            log("pg_receivewal started (pid " + receiver.pid() + ")");
        } catch (PitrException | IOException e) {
            log("cannot start pg_receivewal, retrying in " + backoff.toSeconds() + "s: " + e.getMessage());
            nextStart = Instant.now().plus(backoff);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    /**
     * pg_receivewal writes each new segment at its full size before any WAL goes into it, so with less free space than
     * a segment it fails at the next one. Then capture receives nothing: the slot keeps the WAL in the primary's
     * pg_wal, where it grows. Capture says so when it happens and every minute after, with how much the slot holds,
     * keeps shipping what is spooled (which frees space too), and starts pg_receivewal again once the rest of the
     * current segment and the next one fit ({@link PartialSegments#roomNeeded}), so it does not fail again at once.
     */
    private boolean spoolHasRoom() {
        long need = PartialSegments.roomNeeded(spool, segmentSize == 0 ? 16L << 20 : segmentSize);
        long free;
        try {
            free = Files.getFileStore(spool).getUsableSpace();
        } catch (IOException e) {
            return true; // pg_receivewal reports what is wrong with the spool itself
        }
        if (free >= need) {
            if (spoolFullSince != null) {
                log("the spool has room again (" + free / MIB + " MiB free) after "
                        + Duration.between(spoolFullSince, Instant.now()).toSeconds()
                        + " s: receiving WAL from the slot resumes where it stopped");
                spoolFullSince = null;
            }
            return true;
        }
        Instant now = Instant.now();
        if (spoolFullSince == null || !now.isBefore(nextSpoolFullLog)) {
            String held;
            try {
                held = Slots.retainedBytes(primary, slot).stream()
                        .mapToObj(b -> b / MIB + " MiB")
                        .findFirst()
                        .orElse("?");
            } catch (PitrException e) {
                held = "? (" + e.getMessage() + ")";
            }
            log(
                    "SPOOL FULL: " + spool + " has " + free / MIB + " MiB free and pg_receivewal needs " + need / MIB
                            + " MiB to go on. Capture receives no WAL until space returns; the slot " + slot + " holds "
                            + held
                            + " of WAL in pg_wal on the primary meanwhile, and that grows. Free space in the spool's filesystem.");
            spoolFullSince = spoolFullSince == null ? now : spoolFullSince;
            nextSpoolFullLog = now.plusSeconds(60);
        }
        return false;
    }

    /**
     * Passes pg_receivewal's output on to the log, watching for the walsender's refusal to stream from a point the
     * server's history does not have ({@code is not in this server's history}).
     */
    private void forwardOutput(Process p) {
        Thread t = new Thread(
                () -> {
                    try (java.io.BufferedReader r = new java.io.BufferedReader(
                            new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        boolean refused = false;
                        String at = "the old timeline earlier";
                        for (String line; (line = r.readLine()) != null; ) {
                            log.println(line);
                            log.flush();
                            refused |= line.contains("is not in this server's history");
                            int detail = line.indexOf("history forked from ");
                            if (detail >= 0) {
                                at = line.substring(detail + "history forked from ".length())
                                        .replaceAll("\\.$", "")
                                        .trim();
                            }
                        }
                        if (refused) {
                            forkedBefore = at;
                        }
                    } catch (IOException e) {
                        // the receiver is gone
                    }
                },
                "pg_receivewal-output");
        t.setDaemon(true);
        t.start();
        outputReader = t;
    }

    /**
     * After a promotion whose history forked from the old timeline before the segment capture was receiving: capture
     * had WAL from the old primary that the promoted standby never got, and pg_receivewal, resuming from the spool,
     * asks for a point the new primary does not have. That WAL is a dead branch, but valid WAL of the old timeline, so
     * its complete segments ship as usual; when they have, the segments still being written are moved (kept, not
     * deleted) into {@code .dead-branch-<time>/}, and pg_receivewal, finding the spool empty, starts from the slot. The
     * slot is on the new primary because capture kept it there while it was a standby, never past its replay point, so
     * the new primary has everything from there: the old timeline up to the switch, then the new one.
     *
     * @return false while complete segments still wait to be shipped
     */
    private boolean setAsideDeadBranch() {
        List<Path> complete = new ArrayList<>();
        List<Path> partial = new ArrayList<>();
        try (java.util.stream.Stream<Path> files = Files.list(spool)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (SegmentName.isSegmentFileName(name)) {
                    complete.add(f);
                } else if (PartialSegments.isPartialSegment(name)) {
                    partial.add(f);
                }
            }
            if (!complete.isEmpty()) {
                return false;
            }
            Path aside = spool.resolve(".dead-branch-" + Instant.now().getEpochSecond());
            Files.createDirectories(aside);
            for (Path f : partial) {
                Files.move(f, aside.resolve(f.getFileName()));
            }
            log("set " + partial.stream().map(f -> f.getFileName().toString()).toList() + " aside in " + aside
                    + "; pg_receivewal starts again from the slot " + slot);
            return true;
        } catch (IOException e) {
            log("cannot set the dead branch aside, will retry: " + e.getMessage());
            return false;
        }
    }

    private void stopReceiver() {
        if (receiver == null) {
            return;
        }
        interrupt(receiver.toHandle());
    }

    /**
     * SIGINT is pg_receivewal's own stop signal: it finishes the write in hand (including the zero padding of a new
     * segment), flushes and exits. Only a receiver that ignores it for 15 s is killed.
     */
    private void interrupt(ProcessHandle h) {
        try {
            Processes.run(List.of("kill", "-INT", Long.toString(h.pid())));
            h.onExit().get(15, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            h.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A capture killed by SIGKILL leaves its pg_receivewal running and holding the slot; stop that one first. */
    private void stopOrphanedReceiver() {
        Path pidFile = spool.resolve(PID_FILE);
        if (!Files.exists(pidFile)) {
            return;
        }
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isPresent() && h.get().info().command().orElse("").endsWith("pg_receivewal")) {
                log("stopping pg_receivewal left behind by an earlier capture (pid " + pid + ")");
                interrupt(h.get());
            }
            Files.deleteIfExists(pidFile);
        } catch (Exception e) {
            log("could not stop earlier pg_receivewal: " + e.getMessage());
        }
    }

    private void log(String msg) {
        log.println(Instant.now() + " " + msg);
        log.flush();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
