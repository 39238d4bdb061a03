package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.catalog.SegmentRecord;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prefetch spool as PostgreSQL meets it: each segment is asked for with the real restore_command run by
 * {@code /bin/sh}, in replay order, while the prefetcher fills the spool.
 */
class PrefetcherTest {

    private static final long SEG = 1000;

    @TempDir
    Path dir;

    @Test
    void replayTakesEverySegmentFromTheSpoolWithinTheBudget() throws Exception {
        List<SegmentRecord> plan = plan(24);
        AtomicLong maxHeld = new AtomicLong();
        Path spool = dir.resolve("spool");
        Prefetcher.SegmentFetch fetch = (name, dest) -> {
            maxHeld.accumulateAndGet(claimed(spool) * SEG, Math::max);
            sleep(15);
            write(dest, "prefetched " + name);
        };
        try (Prefetcher p = new Prefetcher(fetch, plan, List.of(), spool, 3, 5 * SEG)) {
            p.start();
            for (SegmentRecord s : plan) {
                String got = restoreCommand(spool, s);
                assertEquals("prefetched " + s.name().fileName(), got, "from the spool, not fetched directly");
            }
        }
        assertTrue(
                maxHeld.get() <= 5 * SEG, "spool and fetches in flight held " + maxHeld.get() + " bytes, budget 5000");
        assertEquals(
                Set.of(plan.get(plan.size() - 1).name().fileName()),
                Set.of(spool.toFile().list((d, n) -> !n.startsWith("."))),
                "only the last segment is kept, for recovery's end");
    }

    @Test
    void aSlowFetchIsWaitedForNotFetchedTwice() throws Exception {
        List<SegmentRecord> plan = plan(3);
        Set<String> fetched = ConcurrentHashMap.newKeySet();
        Path spool = dir.resolve("spool");
        Prefetcher.SegmentFetch fetch = (name, dest) -> {
            sleep(400);
            fetched.add(name);
            write(dest, "prefetched " + name);
        };
        try (Prefetcher p = new Prefetcher(fetch, plan, List.of(), spool, 1, 10 * SEG)) {
            p.start();
            sleep(50);
            for (SegmentRecord s : plan) {
                assertEquals("prefetched " + s.name().fileName(), restoreCommand(spool, s));
            }
        }
        assertEquals(3, fetched.size());
    }

    @Test
    void afterAFailedFetchRestoreCommandFetchesDirectlyFromThatSegmentOn() throws Exception {
        List<SegmentRecord> plan = plan(8);
        AtomicInteger calls = new AtomicInteger();
        Path spool = dir.resolve("spool");
        Prefetcher.SegmentFetch fetch = (name, dest) -> {
            calls.incrementAndGet();
            if (name.equals(plan.get(3).name().fileName())) {
                throw new PitrException(ErrorCode.STORAGE_UNAVAILABLE, "storage down", "retry");
            }
            write(dest, "prefetched " + name);
        };
        List<String> got = new ArrayList<>();
        try (Prefetcher p = new Prefetcher(fetch, plan, List.of(), spool, 1, 100 * SEG)) {
            p.start();
            for (SegmentRecord s : plan) {
                got.add(restoreCommand(spool, s));
            }
            assertTrue(p.failed());
        }
        for (int i = 0; i < plan.size(); i++) {
            String name = plan.get(i).name().fileName();
            assertEquals((i < 3 ? "prefetched " : "direct ") + name, got.get(i));
        }
        assertEquals(4, calls.get(), "nothing is claimed after a failure");
    }

    @Test
    void knownAbsentNamesAreAnsweredAndTheLastSegmentServesTwice() throws Exception {
        List<SegmentRecord> plan = plan(2);
        Path spool = dir.resolve("spool");
        String after = plan.get(1).name().next().fileName();
        try (Prefetcher p = new Prefetcher(
                (name, dest) -> write(dest, "prefetched " + name),
                plan,
                List.of(after, "00000002.history"),
                spool,
                2,
                10 * SEG)) {
            p.start();
            for (SegmentRecord s : plan) {
                assertEquals(
                        "prefetched " + s.name().fileName(),
                        restoreCommand(spool, s.name().fileName(), 0));
            }
            // recovery reads the last segment again when it ends, then probes the next segment and timeline
            assertEquals(
                    "prefetched " + plan.get(1).name().fileName(),
                    restoreCommand(spool, plan.get(1).name().fileName(), 0));
            assertEquals(null, restoreCommand(spool, after, 1));
            assertEquals(null, restoreCommand(spool, "00000002.history", 1));
            assertEquals("direct 00000003.history", restoreCommand(spool, "00000003.history", 0));
        }
    }

    @Test
    void theSegmentRecoveryReadsAheadIntoIsFetchedTooAndEveryOneFromThePlansLastIsKept() throws Exception {
        List<SegmentRecord> all = plan(4);
        List<SegmentRecord> plan = all.subList(0, 3);
        SegmentRecord beyond = all.get(3);
        String afterBeyond = beyond.name().next().fileName();
        Path spool = dir.resolve("spool");
        List<String> fetched = java.util.Collections.synchronizedList(new ArrayList<>());
        try (Prefetcher p = new Prefetcher(
                (name, dest) -> {
                    fetched.add(name);
                    write(dest, "prefetched " + name);
                },
                plan,
                List.of(beyond),
                List.of(afterBeyond),
                spool,
                2,
                10 * SEG)) {
            p.start();
            // replay reads ahead past the stop in the plan's last segment, into the next one and then the one after
            for (SegmentRecord s : all) {
                assertEquals("prefetched " + s.name().fileName(), restoreCommand(spool, s));
            }
            assertEquals(null, restoreCommand(spool, afterBeyond, 1));
            // then asks again for the segment it stopped in; the one after it is kept as well
            for (SegmentRecord s : List.of(plan.get(2), beyond)) {
                assertEquals("prefetched " + s.name().fileName(), restoreCommand(spool, s));
            }
        }
        assertEquals(
                all.stream().map(x -> x.name().fileName()).toList(),
                fetched.stream().sorted().toList(),
                "each segment fetched once, in the spool, none directly");
    }

    @Test
    void aSegmentReadAheadThatCannotBeFetchedLeavesThePlansFetchesBe() throws Exception {
        List<SegmentRecord> all = plan(6);
        List<SegmentRecord> plan = all.subList(0, 5);
        SegmentRecord beyond = all.get(5);
        Path spool = dir.resolve("spool");
        try (Prefetcher p = new Prefetcher(
                (name, dest) -> {
                    if (name.equals(beyond.name().fileName())) {
                        throw new PitrException(ErrorCode.CORRUPT_OBJECT, "not readable", "check it");
                    }
                    write(dest, "prefetched " + name);
                },
                plan,
                List.of(beyond),
                List.of(),
                spool,
                2,
                100 * SEG)) {
            p.start();
            for (SegmentRecord s : plan) {
                assertEquals("prefetched " + s.name().fileName(), restoreCommand(spool, s));
            }
            assertFalse(p.failed(), "a segment past the plan is not the plan's failure");
            // asked for, it is fetched directly, and a failure there reaches PostgreSQL from that fetch
            assertEquals("direct " + beyond.name().fileName(), restoreCommand(spool, beyond));
        }
    }

    @Test
    void aZeroBudgetFetchesNothing() throws Exception {
        List<SegmentRecord> plan = plan(2);
        Path spool = Files.createDirectories(dir.resolve("spool"));
        try (Prefetcher p = new Prefetcher(
                (n, d) -> {
                    throw new AssertionError("fetched " + n);
                },
                plan,
                List.of(),
                spool,
                2,
                0)) {
            p.start();
            for (SegmentRecord s : plan) {
                assertEquals("direct " + s.name().fileName(), restoreCommand(spool, s));
            }
        }
    }

    /**
     * Only the direct command's "absent" code reads as the end of the archive; any other low exit (a JVM that cannot
     * start exits 1) aborts recovery, and a high one passes through. A spool path with a space and quotes is one word.
     */
    @Test
    void theDirectFetchsExitIsMappedSoThatOnlyAbsentEndsTheArchive() throws Exception {
        Path spool = Files.createDirectories(dir.resolve("it's a \"spool\" $(touch x) at 100%f"));
        for (int[] exits : new int[][] {{0, 0}, {79, 1}, {1, 146}, {2, 146}, {125, 146}, {142, 142}, {149, 149}}) {
            directExit = exits[0];
            String got = restoreCommand(spool, "000000010000000000000009", exits[1]);
            assertEquals("direct 000000010000000000000009", got);
        }
        assertFalse(Files.exists(dir.resolve("x")));
    }

    /** A copy or move out of the spool that fails (a full disk, say) aborts recovery; it is not "absent". */
    @Test
    void aFailedCopyOutOfTheSpoolAbortsRecovery() throws Exception {
        Path spool = Files.createDirectories(dir.resolve("spool-copy"));
        String file = "000000010000000000000009";
        Files.writeString(spool.resolve(file), "prefetched");
        Files.writeString(spool.resolve(".keep-" + file), "");
        String unwritable = dir.resolve("no-such-dir/RECOVERYXLOG").toString();
        for (boolean keep : new boolean[] {true, false}) {
            if (!keep) {
                Files.delete(spool.resolve(".keep-" + file));
            }
            String cmd = substitute(Prefetcher.command(spool, "false", 79), file, unwritable);
            Process p = new ProcessBuilder("/bin/sh", "-c", cmd)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(146, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private int directExit;

    private String restoreCommand(Path spool, SegmentRecord s) throws Exception {
        return restoreCommand(spool, s.name().fileName(), 0);
    }

    /**
     * Runs the restore_command as PostgreSQL would, for {@code file}, checks it exits with {@code exit}, and returns the
     * file it produced (null if none).
     */
    private String restoreCommand(Path spool, String file, int exit) throws Exception {
        Path direct = dir.resolve("direct.sh");
        Files.writeString(direct, "#!/bin/sh\nprintf 'direct %s' \"$1\" > \"$2\"\nexit " + directExit + "\n");
        Files.setPosixFilePermissions(direct, PosixFilePermissions.fromString("rwx------"));
        Path dest = dir.resolve("RECOVERYXLOG");
        Files.deleteIfExists(dest);
        String cmd = substitute(Prefetcher.command(spool, direct.toString(), 79), file, dest.toString());
        Process p = new ProcessBuilder("/bin/sh", "-c", cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "restore_command did not finish");
        assertEquals(exit, p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        return Files.exists(dest) ? Files.readString(dest) : null;
    }

    /** What PostgreSQL makes of a restore_command: %f and %p replaced, %% made %, any other % left as it is. */
    private static String substitute(String command, String file, String path) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            char next = i + 1 < command.length() ? command.charAt(i + 1) : 0;
            if (c == '%' && next == 'f') {
                out.append(file);
                i++;
            } else if (c == '%' && next == 'p') {
                out.append(path);
                i++;
            } else if (c == '%' && next == '%') {
                out.append('%');
                i++;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Segments the spool holds or has on their way: files in place and markers, by name. */
    private static long claimed(Path spool) {
        String[] names = spool.toFile().list((d, n) -> n.matches("\\.?[0-9A-F]{24}"));
        return names == null
                ? 0
                : java.util.Arrays.stream(names)
                        .map(n -> n.replace(".", ""))
                        .distinct()
                        .count();
    }

    private static List<SegmentRecord> plan(int n) {
        List<SegmentRecord> plan = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SegmentName name = new SegmentName(TimelineId.of(1), 10 + i, 16L << 20);
            plan.add(new SegmentRecord(name, SEG, SEG / 4, "sha", "wal/" + name.fileName(), null, Instant.EPOCH, null));
        }
        return plan;
    }

    private static void write(Path dest, String content) {
        try {
            Path tmp = dest.resolveSibling(".pitr-fetch-" + dest.getFileName());
            Files.writeString(tmp, content);
            Files.move(tmp, dest, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
