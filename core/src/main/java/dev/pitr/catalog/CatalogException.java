package dev.pitr.catalog;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;

/** The catalog could not be read or written. */
public class CatalogException extends PitrException {
    private static final long serialVersionUID = 1L;

    public CatalogException(String message, Throwable cause) {
        super(
                ErrorCode.CATALOG_UNAVAILABLE,
                message,
                "check catalog.path in the configuration and its permissions",
                cause);
    }

    public CatalogException(ErrorCode code, String message, String hint, Throwable cause) {
        super(code, message, hint, cause);
    }
}
