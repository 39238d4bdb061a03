package dev.pitr.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** pitr.jar holds the product: no benchmark, no test fixture of the test sources. */
class PackagingIT {

    @Test
    void pitrJarHoldsNoBenchmark() throws IOException {
        Path jar = Path.of(System.getProperty("pitr.jar", "target/pitr.jar"));
        try (JarFile j = new JarFile(jar.toFile())) {
            List<String> bench = j.stream()
                    .map(JarEntry::getName)
                    .filter(n ->
                            n.startsWith("dev/pitr/") && (n.startsWith("dev/pitr/bench/") || n.contains("Benchmark")))
                    .toList();
            assertTrue(bench.isEmpty(), bench.toString());
            assertTrue(j.getEntry("dev/pitr/cli/Main.class") != null, "not pitr.jar: " + jar);
        }
    }
}
