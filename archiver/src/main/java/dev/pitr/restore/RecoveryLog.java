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

    private final Path file;
    private String text = "";

    public RecoveryLog(Path file) {
        this.file = file;
    }

    /** Re-reads the log; returns its current text. */
    public String refresh() {
        try {
            if (Files.exists(file)) {
                text = Files.readString(file, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            // the server may be rotating or still creating it; keep the last text
        }
        return text;
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
        Matcher m = p.matcher(text);
        String v = null;
        while (m.find()) {
            v = m.group(1).strip();
        }
        return v;
    }
}
