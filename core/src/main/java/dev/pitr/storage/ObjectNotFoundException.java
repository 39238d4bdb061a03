package dev.pitr.storage;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;

/** The key does not exist in storage. */
public class ObjectNotFoundException extends PitrException {
    private static final long serialVersionUID = 1L;

    public ObjectNotFoundException(String key) {
        super(ErrorCode.NOT_IN_ARCHIVE, "object not found: " + key, "check the key, or run 'pitr snapshot list'");
    }
}
