package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ForkWatchTest {

    @Test
    void theWalsendersRefusalNamesWhereTheHistoryForked() {
        ForkWatch w = new ForkWatch();
        w.accept("pg_receivewal: starting log streaming at 0/5000000 (timeline 1)");
        w.accept("pg_receivewal: error: could not send replication command \"START_REPLICATION\": ERROR:  requested"
                + " starting point 0/5000000 on timeline 1 is not in this server's history");
        w.accept("DETAIL:  This server's history forked from timeline 1 at 0/4FFFF50.");
        w.accept("pg_receivewal: error: disconnected");
        assertEquals(Optional.of("timeline 1 at 0/4FFFF50"), w.forkedFrom());
    }

    @Test
    void aRefusalWithoutItsDetailStillCounts() {
        ForkWatch w = new ForkWatch();
        w.accept("ERROR:  requested starting point 0/5000000 on timeline 1 is not in this server's history");
        assertEquals(Optional.of("the old timeline earlier"), w.forkedFrom());
    }

    @Test
    void otherFailuresAreNotAFork() {
        ForkWatch w = new ForkWatch();
        w.accept("pg_receivewal: error: could not connect to server: Connection refused");
        w.accept("pg_receivewal: error: replication slot \"pitr_slot\" does not exist");
        assertEquals(Optional.empty(), w.forkedFrom());
    }
}
