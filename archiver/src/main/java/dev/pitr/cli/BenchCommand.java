package dev.pitr.cli;

import dev.pitr.demo.Benchmarks;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "bench", description = "Benchmarks against the cp baseline, on a throwaway local PostgreSQL: ship | restore.")
final class BenchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ship|restore")
  String which;

  @Option(names = "--segments", description = "How many 16 MiB segments of WAL (default: 64).")
  int segments = 64;

  @Option(names = "--dir", description = "Working directory, wiped first (default: $TMPDIR/pitr-bench).")
  Path dir = Path.of(System.getenv().getOrDefault("TMPDIR", "/tmp"), "pitr-bench");

  @Override
  public Integer call() throws Exception {
    Benchmarks b = new Benchmarks(dir, spec.commandLine().getOut());
    switch (which) {
      case "ship" -> b.ship(segments);
      case "restore" -> b.restore(segments);
      default -> {
        spec.commandLine().getErr().println("error: unknown benchmark '" + which + "'\nHINT: use ship or restore");
        return 2;
      }
    }
    return 0;
  }
}
