package dev.pitr.restore;

import dev.pitr.catalog.SegmentRecord;
import dev.pitr.error.ErrorCode;
import dev.pitr.postgres.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fetches the segments a restore will replay into a local spool ahead of PostgreSQL, in plan order, on several threads
 * and within a byte budget, so that restore_command is a rename instead of a JVM start and a storage round trip per
 * segment. Decoding (zstd, decryption) and verification happen on these threads; each file lands in the spool whole,
 * by rename.
 *
 * <p>The spool speaks to restore_command through files ({@link #command}): {@code .pid} names this process, and a
 * {@code .NAME} marker exists from the moment a segment is claimed until its file is in place (or its fetch failed).
 * restore_command waits while the marker exists and this process lives, then takes the file if it is there and
 * otherwise fetches directly, which is also how a failure here reaches PostgreSQL with its own exit code: a segment
 * missing from the archive ends the archive, any other error aborts recovery. Segments are claimed strictly in plan
 * order (as many as the budget allows, fetched {@code threads} at a time) and the budget counts every claimed segment
 * until restore_command has taken it, so the segment replay asks for next is always in the spool or on its way, and
 * the spool never holds more than the budget (one segment at least).
 *
 * <p>Recovery also asks for files the plan already knows the answer to, each of which would otherwise cost a JVM
 * start: the segment after the last planned one, fetched too when the archive holds it (recovery reads ahead of
 * what it replays) and otherwise, with timeline histories that are not archived, a {@code .none-NAME} marker answered
 * "not in the archive"; and the last planned segment (and those after it) a second time when recovery ends (kept and
 * copied, {@code .keep-NAME}, rather than moved).
 */
final class Prefetcher implements AutoCloseable {

    private final SegmentFetch fetch;
    private final List<SegmentRecord> plan;
    private final List<String> keep = new java.util.ArrayList<>();
    /** How many of {@link #plan}'s segments the plan holds; those after them are read ahead ({@code beyond}). */
    private final int planned;

    private final List<String> absent;
    private final Path spool;
    private final int threads;
    private final long budgetBytes;
    private final AtomicBoolean failed = new AtomicBoolean();
    private final java.util.concurrent.CountDownLatch firstClaims = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean stopped;
    private ExecutorService pool;
    private Thread coordinator;

    /** One segment from the archive into a path, whole or not at all (WalFetcher's contract). */
    interface SegmentFetch {
        void fetch(String fileName, Path dest);
    }

    /**
     * Prefetches {@code plan} into {@code spool}; {@code absent} names files restore_command may answer "not in the
     * archive" for without asking the archive.
     */
    Prefetcher(
            SegmentFetch fetch,
            List<SegmentRecord> plan,
            List<String> absent,
            Path spool,
            int threads,
            long budgetBytes) {
        this(fetch, plan, List.of(), absent, spool, threads, budgetBytes);
    }

    /**
     * Prefetches {@code planned}, then {@code beyond} (segments recovery may read ahead into after the plan's last), into
     * {@code spool}, keeping the plan's last and those for recovery's second ask; {@code absent} names files
     * restore_command may answer "not in the archive" for without asking the archive.
     */
    Prefetcher(
            SegmentFetch fetch,
            List<SegmentRecord> planned,
            List<SegmentRecord> beyond,
            List<String> absent,
            Path spool,
            int threads,
            long budgetBytes) {
        this.fetch = fetch;
        this.plan = new java.util.ArrayList<>(planned);
        this.plan.addAll(beyond);
        this.planned = planned.size();
        if (!planned.isEmpty()) {
            keep.add(planned.get(planned.size() - 1).name().fileName());
            beyond.forEach(b -> keep.add(b.name().fileName()));
        }
        this.absent = absent;
        this.spool = spool;
        this.threads = Math.max(1, threads);
        this.budgetBytes = budgetBytes;
    }

    /**
     * The restore_command that takes {@code %f} from {@code spool} when it is there or on its way, and otherwise runs
     * {@code direct} (a command that is given {@code %f %p}, and exits 0 when it fetched the file and {@code absentExit}
     * when the archive does not hold it).
     *
     * <p>PostgreSQL ends recovery when restore_command exits 1 to 125, so only {@code absentExit} becomes 1. Every other
     * exit of 125 or below becomes {@link ErrorCode#FETCH_ABORTED} and aborts recovery instead: a JVM that cannot start
     * exits 1, and would otherwise pass for the end of the archive; so would a copy out of the spool that fails.
     */
    static String command(Path spool, String direct, int absentExit) {
        int aborted = ErrorCode.FETCH_ABORTED.exitCode();
        // PostgreSQL replaces %f, %p and %r anywhere in the command, and %% with %: the fixed parts escape theirs
        String s = Shell.quote(spool.toString()).replace("%", "%%");
        return "s=" + s + "; if [ -f \"$s/.none-%f\" ]; then exit 1; fi;"
                + " if [ -f \"$s/.%f\" ] && read p < \"$s/.pid\"; then"
                + " while [ -f \"$s/.%f\" ] && [ -d /proc/$p ]; do sleep 0.01; done; fi;"
                + " if [ -f \"$s/.keep-%f\" ] && [ -f \"$s/%f\" ]; then cp \"$s/%f\" \"%p\" && exit 0; exit " + aborted
                + "; fi;"
                + " if [ -f \"$s/%f\" ]; then mv -f \"$s/%f\" \"%p\" && exit 0; exit " + aborted + "; fi; "
                + direct.replace("%", "%%") + " %f \"%p\"; r=$?;"
                + " if [ $r -eq 0 ]; then exit 0; elif [ $r -eq " + absentExit + " ]; then exit 1;"
                + " elif [ $r -gt 125 ]; then exit $r; else exit " + aborted + "; fi";
    }

    /** Starts fetching; a budget of zero or less fetches nothing. */
    void start() {
        if (budgetBytes <= 0 || plan.isEmpty()) {
            return;
        }
        try {
            Files.createDirectories(spool);
            Files.writeString(spool.resolve(".pid"), ProcessHandle.current().pid() + "\n");
            for (String name : absent) {
                Files.writeString(spool.resolve(".none-" + name), "");
            }
            for (String name : keep) {
                Files.writeString(spool.resolve(".keep-" + name), "");
            }
        } catch (IOException e) {
            return; // no spool: restore_command fetches every segment itself
        }
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "prefetch");
            t.setDaemon(true);
            return t;
        });
        coordinator = new Thread(this::coordinate, "prefetch-coordinator");
        coordinator.setDaemon(true);
        coordinator.start();
        try {
            // once start returns, the first segments are claimed: restore_command waits for them rather than fetching
            firstClaims.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True once a fetch failed; restore_command fetches that segment and every later one itself. */
    boolean failed() {
        return failed.get();
    }

    private void coordinate() {
        Deque<SegmentRecord> claimed = new ArrayDeque<>();
        long claimedBytes = 0;
        int next = 0;
        try {
            while (!stopped) {
                // a claimed segment whose marker and file are both gone has been taken by restore_command
                while (!claimed.isEmpty() && taken(claimed.peekFirst())) {
                    claimedBytes -= size(claimed.removeFirst());
                }
                if ((next >= plan.size() || failed.get()) && claimed.isEmpty()) {
                    return;
                }
                // claim (mark) everything the budget allows at once; the pool fetches the claims in order
                while (next < plan.size()
                        && !failed.get()
                        && (claimed.isEmpty() || claimedBytes + size(plan.get(next)) <= budgetBytes)) {
                    boolean readAhead = next >= planned;
                    SegmentRecord s = plan.get(next++);
                    if (!mark(s)) {
                        failed.set(true);
                        break;
                    }
                    claimed.addLast(s);
                    claimedBytes += size(s);
                    pool.execute(() -> fetchOne(s, readAhead));
                }
                firstClaims.countDown();
                sleep();
            }
        } finally {
            firstClaims.countDown();
        }
    }

    private void fetchOne(SegmentRecord s, boolean readAhead) {
        String name = s.name().fileName();
        try {
            if (!stopped && !failed.get()) {
                fetch.fetch(name, spool.resolve(name));
            }
        } catch (RuntimeException e) {
            // restore_command fetches it directly and reports the failure to PostgreSQL with the right exit code; a
            // segment read ahead past the plan may never be asked for, and its failure leaves the plan's fetches be
            if (!readAhead) {
                failed.set(true);
            }
        } finally {
            unmark(s);
        }
    }

    private boolean taken(SegmentRecord s) {
        String name = s.name().fileName();
        return !Files.exists(spool.resolve("." + name)) && !Files.exists(spool.resolve(name));
    }

    private static long size(SegmentRecord s) {
        return Math.max(1, s.plainSize());
    }

    private boolean mark(SegmentRecord s) {
        try {
            Files.writeString(spool.resolve("." + s.name().fileName()), "");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void unmark(SegmentRecord s) {
        try {
            Files.deleteIfExists(spool.resolve("." + s.name().fileName()));
        } catch (IOException e) {
            // a marker left behind only makes restore_command wait until this process ends
        }
    }

    /** Stops claiming, waits for fetches in flight, and leaves no marker behind. */
    @Override
    public void close() {
        stopped = true;
        if (pool == null) {
            return;
        }
        try {
            coordinator.join(10_000);
            pool.shutdown();
            pool.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
