package dev.pitr.postgres;

/** Quoting for the command lines pitr writes for a POSIX shell to run, such as restore_command. */
public final class Shell {

    private Shell() {}

    /** {@code s} as one word of a POSIX shell command line, whatever it holds: single-quoted, each quote escaped. */
    public static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
