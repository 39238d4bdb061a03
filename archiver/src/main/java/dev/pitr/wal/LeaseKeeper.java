package dev.pitr.wal;

import dev.pitr.catalog.LeaseHeldException;
import dev.pitr.catalog.ShippingLease;
import dev.pitr.error.PitrException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Keeps the cluster's shipping lease: renews it once a third of its life has passed, keeps going through a catalog
 * that cannot be reached (the lease is still ours until it expires), and reports the lease lost when another capture
 * took it, which must end shipping here.
 */
final class LeaseKeeper {

    private final ShippingLease lease;
    private final Duration ttl;
    private final Clock clock;
    private final Consumer<String> log;
    private LeaseHeldException lost;

    LeaseKeeper(ShippingLease lease, Duration ttl, Clock clock, Consumer<String> log) {
        this.lease = lease;
        this.ttl = ttl;
        this.clock = clock;
        this.log = log;
    }

    /** Renews when due; false once another holder has the lease, and from then on. */
    boolean keep() {
        if (lost != null) {
            return false;
        }
        if (clock.instant().isBefore(lease.expiresAt().minus(ttl.multipliedBy(2).dividedBy(3)))) {
            return true;
        }
        try {
            lease.renew();
            return true;
        } catch (LeaseHeldException e) {
            log.accept("shipping lease lost, stopping: " + e.getMessage());
            lost = e;
            return false;
        } catch (PitrException e) {
            log.accept("cannot renew the shipping lease, will retry: " + e.getMessage());
            return true;
        }
    }

    Optional<LeaseHeldException> lost() {
        return Optional.ofNullable(lost);
    }
}
