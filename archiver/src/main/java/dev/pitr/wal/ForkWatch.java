package dev.pitr.wal;

import java.util.Optional;

/**
 * Reads {@code pg_receivewal}'s output for the walsender's refusal to stream from a point the server's history does
 * not have, which is what a promotion that forked before capture's position looks like:
 *
 * <pre>
 * pg_receivewal: error: could not send replication command "START_REPLICATION": ERROR:  requested starting point
 *     0/5000000 on timeline 1 is not in this server's history
 * DETAIL:  This server's history forked from timeline 1 at 0/4FFFF50.
 * </pre>
 *
 * Fed one receiver's lines in order by the thread that reads them; read by another.
 */
final class ForkWatch {

    private static final String REFUSED = "is not in this server's history";
    private static final String FORKED = "history forked from ";

    private boolean refused;
    private String at = "the old timeline earlier";

    synchronized void accept(String line) {
        refused |= line.contains(REFUSED);
        int detail = line.indexOf(FORKED);
        if (detail >= 0) {
            at = line.substring(detail + FORKED.length()).replaceAll("\\.$", "").trim();
        }
    }

    /** Where the server's history forked ("timeline 1 at 0/4FFFF50"), when the receiver was refused for it. */
    synchronized Optional<String> forkedFrom() {
        return refused ? Optional.of(at) : Optional.empty();
    }
}
