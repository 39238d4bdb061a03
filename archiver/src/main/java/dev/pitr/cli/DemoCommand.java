package dev.pitr.cli;

import dev.pitr.demo.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", description = "Run capture, snapshot and a point-in-time restore on a throwaway local PostgreSQL.")
final class DemoCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--dir", description = "Working directory, wiped first (default: $TMPDIR/pitr-demo).")
  Path dir = Path.of(System.getenv().getOrDefault("TMPDIR", "/tmp"), "pitr-demo");

  @Override
  public Integer call() throws Exception {
    return new Demo(dir, spec.commandLine().getOut()).run() ? 0 : 1;
  }
}
