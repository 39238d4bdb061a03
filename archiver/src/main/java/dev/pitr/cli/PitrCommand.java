package dev.pitr.cli;

import dev.pitr.config.Config;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The root command: global options and the subcommands. */
@Command(
    name = "pitr",
    mixinStandardHelpOptions = true,
    version = "pitr 0.1.0",
    description = "Continuous archiving and point-in-time recovery for PostgreSQL.",
    subcommands = {
      InitCommand.class,
      CheckCommand.class,
      CatalogCommand.class,
      WalCommand.class,
      SnapshotCommand.class,
      RestoreCommand.class,
      RestoreWindowCommand.class,
      RetentionCommand.class,
      StatusCommand.class,
      RunCommand.class,
      AgentCommand.class,
      KeysCommand.class,
      DemoCommand.class,
      BenchCommand.class
    })
public final class PitrCommand {

  @Option(
      names = "--config",
      description = "Configuration file (default: ./pitr.yaml).",
      scope = CommandLine.ScopeType.INHERIT)
  Path configFile = Path.of("pitr.yaml");

  final Map<String, String> env;

  PitrCommand(Map<String, String> env) {
    this.env = env;
  }

  /** A command line with the error handling every entry point shares. */
  public static CommandLine commandLine(Map<String, String> env) {
    CommandLine cl = new CommandLine(new PitrCommand(env));
    cl.setExecutionExceptionHandler(PitrCommand::handle);
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          PrintWriter err = ex.getCommandLine().getErr();
          err.println("error: " + ex.getMessage());
          err.println("HINT: run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
          return ErrorCode.USAGE.exitCode();
        });
    return cl;
  }

  Config config() {
    return Config.load(configFile, env);
  }

  private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
    PrintWriter err = cl.getErr();
    PitrException pe =
        ex instanceof PitrException p
            ? p
            : new PitrException(ErrorCode.INTERNAL, ex.toString(), "this is a bug; please report it with the output above", ex);
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
