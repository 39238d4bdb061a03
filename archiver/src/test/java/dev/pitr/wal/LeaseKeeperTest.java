package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.TestClock;
import dev.pitr.catalog.LeaseHeldException;
import dev.pitr.catalog.ShippingLease;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaseKeeperTest {

    private static final Duration TTL = Duration.ofSeconds(30);

    private final TestClock clock = new TestClock("2026-12-06T10:00:00Z");
    private final List<String> log = new ArrayList<>();

    /** A lease whose renewals do what the test queued: null extends it, an exception is thrown. */
    private final class Lease implements ShippingLease {
        Instant expires = clock.instant().plus(TTL);
        final Deque<RuntimeException> outcomes = new ArrayDeque<>();
        int renewals;

        @Override
        public String owner() {
            return "host:/spool";
        }

        @Override
        public long token() {
            return 7;
        }

        @Override
        public Instant expiresAt() {
            return expires;
        }

        @Override
        public void renew() {
            renewals++;
            RuntimeException e = outcomes.poll();
            if (e != null) {
                throw e;
            }
            expires = clock.instant().plus(TTL);
        }

        @Override
        public void close() {}
    }

    @Test
    void renewsOnceAThirdOfTheLifeHasPassed() {
        Lease lease = new Lease();
        LeaseKeeper k = new LeaseKeeper(lease, TTL, clock, log::add);
        clock.advance(Duration.ofSeconds(9));
        assertTrue(k.keep());
        assertEquals(0, lease.renewals);
        clock.advance(Duration.ofSeconds(1));
        assertTrue(k.keep());
        assertEquals(1, lease.renewals);
        assertEquals(clock.instant().plus(TTL), lease.expires);
    }

    @Test
    void aCatalogThatCannotBeReachedIsRetriedWhileTheLeaseLasts() {
        Lease lease = new Lease();
        lease.outcomes.add(new PitrException(ErrorCode.CATALOG_UNAVAILABLE, "connection refused", null));
        LeaseKeeper k = new LeaseKeeper(lease, TTL, clock, log::add);
        clock.advance(Duration.ofSeconds(10));
        assertTrue(k.keep());
        assertTrue(k.lost().isEmpty());
        clock.advance(Duration.ofSeconds(1));
        assertTrue(k.keep());
        assertEquals(2, lease.renewals);
        assertTrue(log.get(0).startsWith("cannot renew the shipping lease, will retry"), log.toString());
    }

    @Test
    void aLeaseAnotherCaptureTookEndsShippingForGood() {
        Lease lease = new Lease();
        LeaseHeldException taken =
                new LeaseHeldException("other-host:/spool", clock.instant().plus(TTL));
        lease.outcomes.add(taken);
        LeaseKeeper k = new LeaseKeeper(lease, TTL, clock, log::add);
        clock.advance(Duration.ofSeconds(20));
        assertFalse(k.keep());
        assertEquals(taken, k.lost().orElseThrow());
        clock.advance(Duration.ofSeconds(20));
        assertFalse(k.keep(), "a lost lease is not renewed again");
        assertEquals(1, lease.renewals);
        assertTrue(log.get(0).startsWith("shipping lease lost, stopping"), log.toString());
    }
}
