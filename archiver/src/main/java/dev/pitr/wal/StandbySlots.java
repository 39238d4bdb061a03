package dev.pitr.wal;

import dev.pitr.error.PitrException;
import dev.pitr.postgres.Primary;
import dev.pitr.postgres.Slots;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * With a standby configured, keeps the capture slot on whichever server is a standby now, never past what capture
 * has archived (see {@link Slots#keepOnStandby}), so that after a failover the new primary has the slot where capture
 * needs it. Looks every two seconds; a server that is down is looked at again on the next round.
 */
final class StandbySlots {

    private static final Duration EVERY = Duration.ofSeconds(2);

    private final Primary primary;
    private final String slot;
    private final Clock clock;
    private final Consumer<String> log;
    private Instant next = Instant.EPOCH;
    private String lastProblem;

    StandbySlots(Primary primary, String slot, Clock clock, Consumer<String> log) {
        this.primary = primary;
        this.slot = slot;
        this.clock = clock;
        this.log = log;
    }

    /** One round, when due; {@code archivedUpTo} is how far a standby's slot may advance (null: not yet). */
    void keep(Lsn archivedUpTo) {
        List<Primary> servers = primary.servers();
        Instant now = clock.instant();
        if (servers.size() < 2 || now.isBefore(next)) {
            return;
        }
        next = now.plus(EVERY);
        for (Primary server : servers) {
            try {
                String did = Slots.keepOnStandby(server, slot, archivedUpTo);
                if (did != null) {
                    log.accept(did);
                }
            } catch (PitrException e) {
                // say so once, not every round
                if (!e.getMessage().equals(lastProblem)) {
                    log.accept("cannot keep slot " + slot + " on " + server.describe() + ", will retry: "
                            + e.getMessage());
                    lastProblem = e.getMessage();
                }
            }
        }
    }
}
