package dev.pitr.restore;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.SegmentName;
import dev.pitr.wal.TimelineId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the restored server's log for the messages PostgreSQL (13 to 18 alike) prints as recovery progresses. The log
 * is the one place that says, without a login, where recovery stopped and why. It is read from a given offset (where
 * this start of the server begins to write) a whole line at a time as it grows; what it says is kept as it is read,
 * with the last {@value #TAIL} lines, so a long recovery's log is never held or scanned whole.
 */
public final class RecoveryLog {

    /** Lines kept for {@link #tail}. */
    static final int TAIL = 200;

    private static final Pattern STOPPING = Pattern.compile("recovery stopping (.*)$");
    private static final Pattern REDO_DONE = Pattern.compile("redo done at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern LAST_TX = Pattern.compile("last completed transaction was at log time (.+)$");
    private static final Pattern TIMELINE = Pattern.compile("selected new timeline ID: (\\d+)");
    private static final Pattern RESTORED = Pattern.compile("restored log file \"([0-9A-F]{24})\" from archive");
    private static final Pattern REDO_AT = Pattern.compile("redo in progress, .*current LSN: ([0-9A-F]+/[0-9A-F]+)");

    private final Path file;
    private long offset;
    private byte[] partial = new byte[0];
    private long lines;
    private final ArrayDeque<String> tail = new ArrayDeque<>();
    private boolean recoveryComplete;
    private boolean promoted;
    private boolean paused;
    private boolean shutDownAtTarget;
    private String failure;
    private String stopReason;
    private Lsn redoDoneAt;
    private String lastTransaction;
    private TimelineId newTimeline;
    private String lastRestored;
    private Lsn lastRedoAt;

    public RecoveryLog(Path file) {
        this(file, 0);
    }

    /** The log {@code file} from byte {@code from} on: what an earlier start of the server wrote before it is not read. */
    public RecoveryLog(Path file, long from) {
        this.file = file;
        this.offset = from;
    }

    /** The log's size now (0 when there is none yet): where a server started next begins to write. */
    public static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Reads the whole lines the log gained since the last call, never through a link; returns how many lines have been
     * read so far. A log shorter than what was read was replaced, and is read again from its start.
     */
    public long refresh() {
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            if (size < offset) {
                reset();
            }
            ch.position(offset);
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            int n;
            while ((n = ch.read(buf)) > 0) {
                offset += n;
                accept(buf.array(), n);
                buf.clear();
            }
        } catch (IOException | RuntimeException e) {
            // no log yet (the server is starting), or it is being replaced: what was read stands
        }
        return lines;
    }

    private void reset() {
        offset = 0;
        partial = new byte[0];
        tail.clear();
        recoveryComplete = promoted = paused = shutDownAtTarget = false;
        failure = stopReason = lastTransaction = lastRestored = null;
        redoDoneAt = lastRedoAt = null;
        newTimeline = null;
    }

    /** Takes {@code n} bytes of {@code read}: every line they end, after what the last call left unfinished. */
    private void accept(byte[] read, int n) {
        byte[] bytes = new byte[partial.length + n];
        System.arraycopy(partial, 0, bytes, 0, partial.length);
        System.arraycopy(read, 0, bytes, partial.length, n);
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                line(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        partial = java.util.Arrays.copyOfRange(bytes, start, bytes.length);
    }

    private void line(String line) {
        lines++;
        tail.addLast(line);
        if (tail.size() > TAIL) {
            tail.removeFirst();
        }
        if (line.contains("archive recovery complete")) {
            recoveryComplete = true;
        }
        if (recoveryComplete && line.contains("database system is ready to accept connections")) {
            promoted = true;
        }
        if (line.contains("pausing at the end of recovery")) {
            paused = true;
        }
        if (line.contains("shutdown at recovery target")) {
            shutDownAtTarget = true;
        }
        if (failure == null) {
            failure = failureIn(line);
        }
        stopReason = group(STOPPING, line, stopReason);
        String done = group(REDO_DONE, line, null);
        redoDoneAt = done != null ? Lsn.parse(done) : redoDoneAt;
        lastTransaction = group(LAST_TX, line, lastTransaction);
        String tli = group(TIMELINE, line, null);
        newTimeline = tli != null ? TimelineId.of(Long.parseLong(tli)) : newTimeline;
        lastRestored = group(RESTORED, line, lastRestored);
        String at = group(REDO_AT, line, null);
        lastRedoAt = at != null ? Lsn.parse(at) : lastRedoAt;
    }

    private static String group(Pattern p, String line, String otherwise) {
        Matcher m = p.matcher(line);
        return m.find() ? m.group(1).strip() : otherwise;
    }

    /**
     * The part of {@code line} from the message that ends recovery, if it says one: the target not reached, a PANIC, or
     * a FATAL of the server's own (not one that ends a client's connection: refused while the server starts, or a
     * client's failed login, which the {@code %b} of the log line prefix the restore sets names).
     */
    private static String failureIn(String line) {
        for (String marker :
                List.of("recovery ended before configured recovery target was reached", "PANIC:", "FATAL:")) {
            int i = line.indexOf(marker);
            if (i >= 0 && !(marker.equals("FATAL:") && endsAConnection(line, i))) {
                return line.substring(i);
            }
        }
        return null;
    }

    private static boolean endsAConnection(String line, int fatal) {
        String prefix = line.substring(0, fatal);
        return prefix.contains("] client backend ")
                || prefix.contains("] walsender ")
                || line.contains("the database system is starting up")
                || line.contains("the database system is not yet accepting connections")
                || line.contains("the database system is not accepting connections");
    }

    public boolean promoted() {
        return promoted;
    }

    public boolean paused() {
        return paused;
    }

    public boolean shutDownAtTarget() {
        return shutDownAtTarget;
    }

    /** The message that ended recovery, if one did. */
    public String failure() {
        return failure;
    }

    public String stopReason() {
        return stopReason;
    }

    /** Where redo ended ({@code redo done at 0/3000148}), if the log says. */
    public Lsn redoDoneAt() {
        return redoDoneAt;
    }

    public String lastTransactionTime() {
        return lastTransaction;
    }

    /** The timeline a promotion selected ({@code selected new timeline ID: 2}), if the log says. */
    public TimelineId newTimeline() {
        return newTimeline;
    }

    /**
     * How far replay has come, as the log says without a login: the start of the newest segment restored from the
     * archive ({@code restored log file "..." from archive}, every version), or the position PostgreSQL 15 and later
     * report while they redo ({@code log_startup_progress_interval}), whichever is further.
     */
    public Optional<Lsn> replayedUpTo(long segmentSize) {
        Lsn at = lastRestored == null
                ? null
                : SegmentName.parse(lastRestored, segmentSize).startLsn();
        if (lastRedoAt != null && (at == null || at.isBefore(lastRedoAt))) {
            at = lastRedoAt;
        }
        return Optional.ofNullable(at);
    }

    /** The last {@code lines} lines read (at most {@value #TAIL}), indented, one per line. */
    public String tail(int lines) {
        List<String> all = List.copyOf(tail);
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, all.size() - lines); i < all.size(); i++) {
            sb.append("  ").append(all.get(i)).append('\n');
        }
        return sb.toString();
    }
}
