package dev.pitr.cli;

import dev.pitr.error.ErrorCode;

/** The {@code pitr} executable. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        int code;
        try {
            code = PitrCommand.commandLine(System.getenv(), args).execute(args);
        } catch (Throwable t) {
            // an Error (out of memory, a native library that cannot load) escapes picocli's handlers; left to the JVM
            // it
            // exits 1, which restore_command's caller reads as "not in the archive"
            code = ErrorCode.INTERNAL.exitCode();
            try {
                t.printStackTrace();
                System.err.println("error (" + ErrorCode.INTERNAL.label() + "): " + t);
                System.err.println(
                        "HINT: this is a bug, or the JVM ran out of a resource; please report it with the output above");
            } catch (Throwable ignored) {
                // nothing more can be said; the exit code still tells
            }
        }
        if (!shuttingDown()) {
            System.exit(code);
        }
        // a SIGTERM is being handled by a shutdown hook; System.exit would wait for it forever
    }

    private static boolean shuttingDown() {
        try {
            Thread probe = new Thread(() -> {});
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }
}
