package dev.pitr.catalog;

import java.time.Instant;

/**
 * The exclusive right of one capture process to ship WAL for a cluster, taken with {@link
 * Catalog#acquireShippingLease}. Each acquisition gets a larger fencing token than every earlier one; a catalog that
 * fences (DynamoDB) refuses segment records from a holder whose token is no longer current, so a capture that was
 * paused past its expiry cannot write behind its successor's back.
 *
 * <p>The holder renews well before {@link #expiresAt()}; a renewal that fails means the lease was lost and shipping
 * must stop. {@link #close()} releases it so a successor need not wait for the expiry.
 */
public interface ShippingLease extends AutoCloseable {

    String owner();

    long token();

    Instant expiresAt();

    /** Extends the lease; throws {@link LeaseHeldException} if another holder took it meanwhile. */
    void renew();

    @Override
    void close();
}
