package dev.pitr.wal;

import dev.pitr.postgres.Processes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One {@code pg_receivewal} process at a time for a spool: started with its pid in the spool (so a capture killed
 * with SIGKILL can stop the one it left behind), its output passed on to the log and read by a {@link ForkWatch}, and
 * stopped with SIGINT, its own stop signal.
 */
final class Receiver {

    private static final String PID_FILE = ".pg_receivewal.pid";

    private final Path spool;
    private final PrintWriter log;
    private Process process;
    private Thread output;
    private volatile ForkWatch watch = new ForkWatch();

    Receiver(Path spool, PrintWriter log) {
        this.spool = spool;
        this.log = log;
    }

    /** Starts {@code cmd} with {@code env} added to the environment; there must be none running. */
    void start(List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            Files.writeString(spool.resolve(PID_FILE), Long.toString(p.pid()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            // a receiver without its pid file would outlive a capture killed with SIGKILL, holding the slot
            interrupt(p.toHandle());
            throw e;
        }
        ForkWatch w = new ForkWatch();
        watch = w;
        output = forward(p, w);
        process = p;
    }

    boolean started() {
        return process != null;
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /**
     * The exit code of a receiver that has exited, after its last lines have been read (they may say why), and
     * whether the walsender refused it for a forked history. Forgets the process.
     */
    Exit reap() {
        int code = process.exitValue();
        process = null;
        try {
            output.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new Exit(code, watch.forkedFrom());
    }

    /** Stops the running receiver, if any. */
    void stop() {
        if (process != null) {
            interrupt(process.toHandle());
        }
    }

    /**
     * A capture killed by SIGKILL leaves its pg_receivewal running and holding the slot; stops that one, saying so
     * first. A pid file that does not hold a number is left in place and reported by the exception.
     */
    void stopOrphan(Consumer<String> say) throws IOException {
        Path pidFile = spool.resolve(PID_FILE);
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid =
                Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isPresent() && h.get().info().command().orElse("").endsWith("pg_receivewal")) {
            say.accept("stopping pg_receivewal left behind by an earlier capture (pid " + pid + ")");
            interrupt(h.get());
        }
        Files.deleteIfExists(pidFile);
    }

    /**
     * SIGINT is pg_receivewal's own stop signal: it finishes the write in hand (including the zero padding of a new
     * segment), flushes and exits. Only a receiver that ignores it for 15 s is killed.
     */
    private static void interrupt(ProcessHandle h) {
        try {
            Processes.run(List.of("kill", "-INT", Long.toString(h.pid())));
            h.onExit().get(15, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            h.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Thread forward(Process p, ForkWatch w) {
        Thread t = new Thread(
                () -> {
                    try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = r.readLine()) != null; ) {
                            log.println(line);
                            log.flush();
                            w.accept(line);
                        }
                    } catch (IOException e) {
                        // the receiver is gone
                    }
                },
                "pg_receivewal-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** How a receiver ended: its exit code, and where the server's history forked if that is why it was refused. */
    record Exit(int code, Optional<String> forkedFrom) {}
}
