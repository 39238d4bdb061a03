package dev.pitr.cli;

import dev.pitr.error.ErrorCode;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;

/**
 * The failures a command can end with, listed in its {@code --help} with their exit codes. Every command can also
 * exit 0, {@code usage} and {@code internal}; {@link #uses()} adds the failures of what the command works with.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@interface Fails {

    /** Failures particular to this command. */
    ErrorCode[] value() default {};

    /** What the command works with; each adds that part's failures. */
    Part[] uses() default {Part.CONFIG, Part.REPOSITORY};

    /** A part of the system a command can depend on, with the failures it brings. */
    enum Part {
        /** The configuration file and its environment overrides. */
        CONFIG(ErrorCode.CONFIG_MISSING, ErrorCode.CONFIG_INVALID),
        /** Storage and catalog, and the keys that open the objects. */
        REPOSITORY(
                ErrorCode.REPOSITORY_NOT_FOUND,
                ErrorCode.ACCESS_DENIED,
                ErrorCode.STORAGE_UNAVAILABLE,
                ErrorCode.CATALOG_UNAVAILABLE,
                ErrorCode.CATALOG_OUTCOME_UNKNOWN,
                ErrorCode.KEY_UNAVAILABLE,
                ErrorCode.CORRUPT_OBJECT,
                ErrorCode.SERVICE_REJECTED),
        /** The primary (or standby) and PostgreSQL's client programs. */
        PRIMARY(ErrorCode.PRIMARY_UNREACHABLE, ErrorCode.TOOL_MISSING),
        /** Local files: the spool, a target directory. */
        LOCAL_FILES(ErrorCode.LOCAL_IO);

        @SuppressWarnings("ImmutableEnumChecker") // List.of is unmodifiable
        final List<ErrorCode> codes;

        Part(ErrorCode... codes) {
            this.codes = List.of(codes);
        }
    }
}
