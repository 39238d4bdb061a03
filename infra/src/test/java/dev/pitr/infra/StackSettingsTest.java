package dev.pitr.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.PitrException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;

class StackSettingsTest {

    private static final Path JAR = Path.of(System.getProperty("pitr.lambda.jar"));

    @Test
    void aMissingLambdaJarSaysHowToBuildIt() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new StackSettings(
                        Path.of("/nonexistent/pitr-functions-lambda.jar"),
                        "",
                        7,
                        30,
                        0,
                        false,
                        "0 3 * * ? *",
                        Map.of(),
                        "java25",
                        900,
                        null));
        assertTrue(e.getMessage().contains("mvn -B -pl functions -am package"), e.getMessage());
    }

    @Test
    void retentionSettingsAreCheckedAtSynthAndPassedInTheirEnvironmentForm() {
        Map<String, Object> context = Map.of(
                "pitr:lambdaJar", JAR.toString(), "pitr:retention.daily", 14, "pitr:retention.min_window", "30d");
        assertEquals(
                Map.of("PITR_RETENTION_DAILY", "14", "PITR_RETENTION_MIN_WINDOW", "30d"),
                StackSettings.from(new App(AppProps.builder().context(context).build()).getNode())
                        .retention());
        PitrException e = assertThrows(
                PitrException.class,
                () -> StackSettings.from(new App(AppProps.builder()
                                .context(
                                        Map.of("pitr:lambdaJar", JAR.toString(), "pitr:retention.min_window", "a week"))
                                .build())
                        .getNode()));
        assertTrue(e.getMessage().contains("retention.min_window"), e.getMessage());
    }

    @Test
    void aPrefixWithoutItsSlashIsTheDirectoryPitrReadsIt() {
        Map<String, Object> context = Map.of("pitr:lambdaJar", JAR.toString(), "pitr:storagePrefix", "prod");
        assertEquals(
                "prod/",
                StackSettings.from(new App(AppProps.builder().context(context).build()).getNode())
                        .storagePrefix());
    }

    @Test
    void periodsOutsideWhatS3AcceptsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> settings(0, 30, 0, "java25"));
        assertThrows(IllegalArgumentException.class, () -> settings(7, 29, 0, "java25"));
        assertThrows(IllegalArgumentException.class, () -> settings(7, 30, -1, "java25"));
    }

    @Test
    void onlyJavaRuntimesTheCodeRunsOnAreTaken() {
        assertEquals("java21", settings(7, 30, 0, "java21").lambdaRuntime());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(7, 30, 0, "java11"));
        assertTrue(e.getMessage().contains("[java17, java21, java25]"), e.getMessage());
    }

    @Test
    void aDrillScheduleIsAnEventBridgeCronExpressionOfSixFields() {
        Map<String, Object> context = Map.of("pitr:lambdaJar", JAR.toString(), "pitr:drillSchedule", "0 4 ? * SUN *");
        assertEquals(
                "0 4 ? * SUN *",
                StackSettings.from(new App(AppProps.builder().context(context).build()).getNode())
                        .drillSchedule());
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> StackSettings.from(new App(AppProps.builder()
                                .context(Map.of("pitr:lambdaJar", JAR.toString(), "pitr:drillSchedule", "0 4 * * 0"))
                                .build())
                        .getNode()));
        assertTrue(e.getMessage().contains("six fields"), e.getMessage());
    }

    private static StackSettings settings(int noncurrentDays, int coldDays, int lockDays, String runtime) {
        return new StackSettings(
                JAR, "", noncurrentDays, coldDays, lockDays, false, "0 3 * * ? *", Map.of(), runtime, 900, null);
    }
}
