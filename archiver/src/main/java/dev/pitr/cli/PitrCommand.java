package dev.pitr.cli;

import dev.pitr.aws.AwsCallLog;
import dev.pitr.config.Config;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.IntUnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The root command: global options and the subcommands. */
@Command(
        name = "pitr",
        // every subcommand inherits -h/--help, -V/--version and how its help reads
        scope = CommandLine.ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        version = "pitr 0.1.0",
        sortOptions = false,
        usageHelpAutoWidth = true,
        footerHeading = "%n",
        description = "Continuous archiving and point-in-time recovery for PostgreSQL.")
public final class PitrCommand {

    /** The subcommands, in the order help lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(
            HelpCommand.class,
            InitCommand.class,
            CheckCommand.class,
            CatalogCommand.class,
            WalCommand.class,
            SnapshotCommand.class,
            RestoreCommand.class,
            RestoreWindowCommand.class,
            VerifyCommand.class,
            DrillCommand.class,
            RetentionCommand.class,
            StatusCommand.class,
            RunCommand.class,
            AgentCommand.class,
            KeysCommand.class,
            DemoCommand.class);

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Configuration file (default: ./pitr.yaml).",
            scope = CommandLine.ScopeType.INHERIT)
    Path configFile = Path.of("pitr.yaml");

    final Map<String, String> env;

    PitrCommand(Map<String, String> env) {
        this.env = env;
    }

    /** A command line with every command, and the error handling every entry point shares. */
    public static CommandLine commandLine(Map<String, String> env) {
        return commandLine(env, SUBCOMMANDS);
    }

    /**
     * The command line for {@code args}: {@link #commandLine(Map)}, or, when {@code args} name one command below the
     * root ({@link #named}), the same with only that command and those below it, which parse and run those words as the
     * whole tree does. Picocli builds every command's model as the tree is made: for a short command such as
     * archive_command's {@code wal push}, about a sixth of its time.
     */
    public static CommandLine commandLine(Map<String, String> env, String[] args) {
        return named(args).map(c -> commandLine(env, List.of(c))).orElseGet(() -> commandLine(env));
    }

    /**
     * The subcommand {@code args} run: their first word after any {@code --config FILE} or {@code --config=FILE}, when
     * it names one other than {@code help} (which lists the whole tree), and neither a help or version option nor an
     * {@code @file} (which picocli reads words from) is among them. Empty otherwise (a misspelled command, an option the
     * root does not know, {@code --}, a command's name as the value of {@code --config}): the whole tree answers those.
     */
    static Optional<Class<?>> named(String[] args) {
        for (String a : args) {
            if (a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version") || a.startsWith("@")) {
                return Optional.empty();
            }
        }
        int i = 0;
        while (i < args.length && (args[i].equals("--config") || args[i].startsWith("--config="))) {
            String value = args[i].equals("--config")
                    ? (i + 1 < args.length ? args[i + 1] : "")
                    : args[i].substring("--config=".length());
            if (subcommand(value).isPresent()) {
                // picocli takes no command's name for an option's value: the whole tree refuses it
                return Optional.empty();
            }
            i += args[i].equals("--config") ? 2 : 1;
        }
        return i >= args.length || args[i].equals("help") ? Optional.empty() : subcommand(args[i]);
    }

    private static Optional<Class<?>> subcommand(String name) {
        return SUBCOMMANDS.stream()
                .filter(c -> c.getAnnotation(Command.class).name().equals(name))
                .findFirst();
    }

    private static CommandLine commandLine(Map<String, String> env, List<Class<?>> subcommands) {
        CommandLine cl = new CommandLine(new PitrCommand(env));
        for (Class<?> sub : subcommands) {
            cl.addSubcommand(sub);
        }
        describeExitCodes(cl);
        cl.getCommandSpec()
                .usageMessage()
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(exitCodeList(EnumSet.allOf(ErrorCode.class), code -> code));
        cl.getCommandSpec()
                .usageMessage()
                .footer(
                        "Run 'pitr help COMMAND' or 'pitr COMMAND --help' for a command's options, exit codes and an example.");
        cl.setExecutionExceptionHandler(PitrCommand::handle);
        cl.setExecutionStrategy(
                parsed -> AwsCallLog.actingAs(principal(parsed), () -> new CommandLine.RunLast().execute(parsed)));
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("error: " + ex.getMessage());
            err.println("HINT: run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
            err.flush();
            // restore_command's rules hold for a command line it cannot parse too: a low code would end recovery early,
            // also when the mistake comes before 'wal fetch' (a misspelled --config) and picocli blames the root
            if (ex.getCommandLine().getCommand() instanceof ExitCodeOverride o) {
                return o.exitCode(ErrorCode.USAGE);
            }
            return namesWalFetch(args) ? ErrorCode.FETCH_ABORTED.exitCode() : ErrorCode.USAGE.exitCode();
        });
        return cl;
    }

    /**
     * Whose AWS calls a command makes, as the infrastructure stack's policies divide them: the restore host's ({@code
     * agent}, a local {@code restore} and the {@code wal fetch} it runs), the operator's ({@code restore --remote}),
     * and the archiving host's (every other command).
     */
    static String principal(CommandLine.ParseResult parsed) {
        List<CommandLine> chain = parsed.asCommandLineList();
        Object command = chain.get(chain.size() - 1).getCommand();
        if (command instanceof RestoreCommand r) {
            return r.remote ? AwsCallLog.RESTORE_OPERATOR : AwsCallLog.RESTORE_AGENT;
        }
        if (command instanceof AgentCommand || command instanceof WalFetchCommand) {
            return AwsCallLog.RESTORE_AGENT;
        }
        return AwsCallLog.ARCHIVER;
    }

    /** True when {@code args} hold {@code wal} followed by {@code fetch}: a restore_command, however mistyped. */
    static boolean namesWalFetch(String[] args) {
        List<String> a = List.of(args);
        int wal = a.indexOf("wal");
        return wal >= 0 && a.subList(wal + 1, a.size()).contains("fetch");
    }

    /** Fills each command's exit code list from its {@link Fails}, as the command itself would exit. */
    private static void describeExitCodes(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            Object cmd = sub.getCommand();
            Fails fails = cmd.getClass().getAnnotation(Fails.class);
            if (fails != null) {
                Set<ErrorCode> codes = EnumSet.of(ErrorCode.USAGE, ErrorCode.INTERNAL);
                codes.addAll(List.of(fails.value()));
                for (Fails.Part part : fails.uses()) {
                    codes.addAll(part.codes);
                }
                IntUnaryOperator exit =
                        cmd instanceof ExitCodeOverride o ? c -> o.exitCode(ErrorCode.ofExitCode(c)) : c -> c;
                sub.getCommandSpec()
                        .usageMessage()
                        .exitCodeListHeading("%nExit codes:%n")
                        .exitCodeList(exitCodeList(codes, exit));
            }
            describeExitCodes(sub);
        }
    }

    private static Map<String, String> exitCodeList(Set<ErrorCode> codes, IntUnaryOperator exit) {
        SortedMap<Integer, String> byExit = new TreeMap<>();
        byExit.put(0, "success");
        for (ErrorCode code : codes) {
            int e = exit.applyAsInt(code.exitCode());
            byExit.put(e, ErrorCode.ofExitCode(e).label());
        }
        Map<String, String> list = new LinkedHashMap<>();
        byExit.forEach((e, label) -> list.put(String.format("%5d", e), label));
        return list;
    }

    Config config() {
        return Config.load(configFile, env);
    }

    private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        PitrException pe = ex instanceof PitrException p
                ? p
                : new PitrException(
                        ErrorCode.INTERNAL, ex.toString(), "this is a bug; please report it with the output above", ex);
        if (pe.code() == ErrorCode.INTERNAL) {
            ex.printStackTrace(err);
        }
        err.println("error (" + pe.code().label() + "): " + pe.getMessage());
        if (pe.hint() != null) {
            err.println("HINT: " + pe.hint());
        }
        err.flush();
        Object cmd = cl.getCommand();
        if (cmd instanceof ExitCodeOverride o) {
            return o.exitCode(pe.code());
        }
        return pe.code().exitCode();
    }

    /** A command whose exit codes must follow another program's rules (restore_command's, for one). */
    interface ExitCodeOverride {
        int exitCode(ErrorCode code);
    }
}
