package dev.pitr.infra;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StackSettingsTest {

  private static final Path JAR = Path.of(System.getProperty("pitr.lambda.jar"));

  @Test
  void aMissingLambdaJarSaysHowToBuildIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new StackSettings(Path.of("/nonexistent/pitr-functions-lambda.jar"), "", 7, 30, 0, false, "0 3 * * ? *"));
    assertTrue(e.getMessage().contains("mvn -B -pl functions -am package"), e.getMessage());
  }

  @Test
  void periodsOutsideWhatS3AcceptsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new StackSettings(JAR, "", 0, 30, 0, false, "0 3 * * ? *"));
    assertThrows(IllegalArgumentException.class, () -> new StackSettings(JAR, "", 7, 29, 0, false, "0 3 * * ? *"));
    assertThrows(IllegalArgumentException.class, () -> new StackSettings(JAR, "", 7, 30, -1, false, "0 3 * * ? *"));
  }
}
