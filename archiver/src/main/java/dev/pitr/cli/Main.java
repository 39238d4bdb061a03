package dev.pitr.cli;

/** The {@code pitr} executable. */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    int code = PitrCommand.commandLine(System.getenv()).execute(args);
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
