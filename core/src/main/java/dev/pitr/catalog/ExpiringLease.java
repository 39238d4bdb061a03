package dev.pitr.catalog;

import java.time.Duration;
import java.time.Instant;

/**
 * The part of a {@link ShippingLease} every catalog shares: who holds it, its token, and renewal as a conditional
 * write of a new expiry that only the current holder (same owner and token) can make.
 */
public abstract class ExpiringLease implements ShippingLease {

    private final String owner;
    private final long token;
    private final Duration ttl;
    private volatile Instant expiresAt;

    protected ExpiringLease(String owner, long token, Instant expiresAt, Duration ttl) {
        this.owner = owner;
        this.token = token;
        this.expiresAt = expiresAt;
        this.ttl = ttl;
    }

    /** Sets the expiry if this holder still holds the lease; throws {@link LeaseHeldException} otherwise. */
    protected abstract void writeExpiry(Instant when);

    @Override
    public String owner() {
        return owner;
    }

    @Override
    public long token() {
        return token;
    }

    @Override
    public Instant expiresAt() {
        return expiresAt;
    }

    @Override
    public void renew() {
        Instant next = Instant.now().plus(ttl);
        writeExpiry(next);
        expiresAt = next;
    }

    /** Releases the lease by expiring it; the token stays, so the next holder's is larger. */
    @Override
    public void close() {
        try {
            writeExpiry(Instant.EPOCH);
        } catch (LeaseHeldException e) {
            // someone else holds it already: nothing to release
        }
    }
}
