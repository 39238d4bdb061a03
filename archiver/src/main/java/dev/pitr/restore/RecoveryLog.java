package dev.pitr.restore;

import dev.pitr.wal.Lsn;
import dev.pitr.wal.TimelineId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the restored server's log for the messages PostgreSQL (13 to 18 alike) prints as recovery progresses. The log is the one
 * place that says, without a login, where recovery stopped and why.
 */
public final class RecoveryLog {

    private static final Pattern STOPPING = Pattern.compile("recovery stopping (.*)$", Pattern.MULTILINE);
    private static final Pattern REDO_DONE = Pattern.compile("redo done at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern LAST_TX =
            Pattern.compile("last completed transaction was at log time (.+)$", Pattern.MULTILINE);
    private static final Pattern TIMELINE = Pattern.compile("selected new timeline ID: (\\d+)");
    private static final Pattern RESTORED = Pattern.compile("restored log file \"([0-9A-F]{24})\" from archive");
    private static final Pattern REDO_AT = Pattern.compile("redo in progress, .*current LSN: ([0-9A-F]+/[0-9A-F]+)");

    private final Path file;
    private String text = "";
    private long offset;
    private byte[] partial = new byte[0];
    private String lastRestored;
    private Lsn lastRedoAt;

    public RecoveryLog(Path file) {
        this.file = file;
    }

    /**
     * Reads what the log gained since the last call (its whole lines); returns its text so far. A log that shrank was
     * replaced, and is read again from its start.
     */
    public String refresh() {
        try (java.nio.channels.SeekableByteChannel ch = Files.newByteChannel(file)) {
            long size = ch.size();
            if (size < offset) {
                offset = 0;
                partial = new byte[0];
                text = "";
            }
            if (size > offset) {
                ch.position(offset);
                java.nio.ByteBuffer buf =
                        java.nio.ByteBuffer.allocate(Math.toIntExact(Math.min(size - offset, 64 << 20)));
                while (buf.hasRemaining() && ch.read(buf) > 0) {
                    // until the buffer is full or the file ends
                }
                offset += buf.position();
                byte[] read = new byte[partial.length + buf.position()];
                System.arraycopy(partial, 0, read, 0, partial.length);
                System.arraycopy(buf.array(), 0, read, partial.length, buf.position());
                int end = read.length;
                while (end > 0 && read[end - 1] != '\n') {
                    end--;
                }
                partial = java.util.Arrays.copyOfRange(read, end, read.length);
                String lines = new String(read, 0, end, StandardCharsets.UTF_8);
                text = text + lines;
                String restored = lastOf(RESTORED, lines);
                lastRestored = restored != null ? restored : lastRestored;
                String redo = lastOf(REDO_AT, lines);
                lastRedoAt = redo != null ? Lsn.parse(redo) : lastRedoAt;
            }
        } catch (IOException | RuntimeException e) {
            // no log yet (the server is starting), or it is being replaced: keep the last text
        }
        return text;
    }

    /**
     * How far replay has come, as the log says without a login: the start of the newest segment restored from the
     * archive ({@code restored log file "..." from archive}, every version), or the position PostgreSQL 15 and later
     * report while they redo ({@code log_startup_progress_interval}), whichever is further.
     */
    public java.util.Optional<Lsn> replayedUpTo(long segmentSize) {
        Lsn at = lastRestored == null
                ? null
                : dev.pitr.wal.SegmentName.parse(lastRestored, segmentSize).startLsn();
        if (lastRedoAt != null && (at == null || at.isBefore(lastRedoAt))) {
            at = lastRedoAt;
        }
        return java.util.Optional.ofNullable(at);
    }

    public boolean contains(String message) {
        return text.contains(message);
    }

    public boolean promoted() {
        int done = text.indexOf("archive recovery complete");
        return done >= 0 && text.indexOf("database system is ready to accept connections", done) >= 0;
    }

    public boolean paused() {
        return text.contains("pausing at the end of recovery");
    }

    public boolean shutDownAtTarget() {
        return text.contains("shutdown at recovery target");
    }

    public String failure() {
        for (String marker :
                List.of("recovery ended before configured recovery target was reached", "PANIC:", "FATAL:")) {
            for (int i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + 1)) {
                int end = text.indexOf('\n', i);
                String line = text.substring(i, end < 0 ? text.length() : end);
                if (!refusedConnection(line)) {
                    return line;
                }
            }
        }
        return null;
    }

    /**
     * A FATAL that refuses one client connection while the server starts (the agent's progress query, say) ends
     * that connection, not recovery.
     */
    private static boolean refusedConnection(String line) {
        return line.contains("the database system is starting up")
                || line.contains("the database system is not yet accepting connections")
                || line.contains("the database system is not accepting connections");
    }

    public String stopReason() {
        return last(STOPPING);
    }

    /** Where redo ended ({@code redo done at 0/3000148}), if the log says. */
    public Lsn redoDoneAt() {
        String at = last(REDO_DONE);
        return at == null ? null : Lsn.parse(at);
    }

    public String lastTransactionTime() {
        return last(LAST_TX);
    }

    /** The timeline a promotion selected ({@code selected new timeline ID: 2}), if the log says. */
    public TimelineId newTimeline() {
        String id = last(TIMELINE);
        return id == null ? null : TimelineId.of(Long.parseLong(id));
    }

    public String tail(int lines) {
        List<String> all = text.lines().toList();
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, all.size() - lines); i < all.size(); i++) {
            sb.append("  ").append(all.get(i)).append('\n');
        }
        return sb.toString();
    }

    private String last(Pattern p) {
        return lastOf(p, text);
    }

    private static String lastOf(Pattern p, String text) {
        Matcher m = p.matcher(text);
        String v = null;
        while (m.find()) {
            v = m.group(1).strip();
        }
        return v;
    }
}
