package dev.pitr.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import picocli.CommandLine;

/** Runs the pitr CLI in-process with its output captured; a failing run prints both streams. */
public final class Cli {

    /** Exit code and output of one run. */
    public record Run(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli() {}

    /** Runs {@code args} on the command line {@link Main} makes for them. */
    public static Run run(Map<String, String> env, String... args) {
        return run(PitrCommand.commandLine(env, args), args);
    }

    /** Runs {@code args} on {@code cl}. */
    public static Run run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }
}
