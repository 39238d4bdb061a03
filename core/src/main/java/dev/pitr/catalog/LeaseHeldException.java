package dev.pitr.catalog;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.time.Instant;

/** Another capture process holds the shipping lease for this cluster. */
public class LeaseHeldException extends PitrException {
    private static final long serialVersionUID = 1L;

    public LeaseHeldException(String holder, Instant expiresAt) {
        super(
                ErrorCode.LEASE_HELD,
                "another capture process ships WAL for this cluster: " + holder + " holds the lease until " + expiresAt,
                "run one capture per cluster; if that process is gone, this one can start once the lease expires");
    }
}
