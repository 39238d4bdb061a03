package dev.pitr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Walks the whole command tree: every command explains itself, and every usage error points at help that works. */
class CommandTreeTest {

    private static final Pattern HINTED_COMMAND = Pattern.compile("HINT: .*?'(pitr [^']*)'");

    @TempDir
    Path dir;

    /** Every command line, as the words after {@code pitr}; the root is the empty list. */
    private static List<List<String>> commands() {
        List<List<String>> all = new ArrayList<>();
        walk(PitrCommand.commandLine(Map.of()), List.of(), all);
        return all;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> all) {
        all.add(path);
        cl.getSubcommands().forEach((name, sub) -> {
            List<String> p = new ArrayList<>(path);
            p.add(name);
            walk(sub, p, all);
        });
    }

    private static CommandSpec spec(List<String> path) {
        CommandLine cl = PitrCommand.commandLine(Map.of());
        for (String name : path) {
            cl = cl.getSubcommands().get(name);
        }
        return cl.getCommandSpec();
    }

    private static String[] args(List<String> path, String... more) {
        return Stream.concat(path.stream(), Arrays.stream(more)).toArray(String[]::new);
    }

    private static String squeezed(String s) {
        return s.replaceAll("\\s+", "");
    }

    @TestFactory
    Stream<DynamicTest> everyCommandAnswersHelpWithItsOptionsExitCodesAndAnExample() {
        return commands().stream()
                .map(path -> DynamicTest.dynamicTest("pitr " + String.join(" ", path) + " --help", () -> {
                    CommandSpec spec = spec(path);
                    Cli.Run help = Cli.run(Map.of(), args(path, "--help"));
                    assertEquals(0, help.exitCode(), help::toString);
                    assertTrue(help.err().isEmpty(), help::toString);
                    String out = help.out();
                    assertTrue(out.startsWith("Usage: " + spec.qualifiedName()), help::toString);
                    for (OptionSpec o : spec.options()) {
                        assertTrue(out.contains(o.longestName()), () -> o.longestName() + " missing from\n" + help);
                        if (o.typeInfo().isBoolean() || o.usageHelp() || o.versionHelp()) {
                            continue;
                        }
                        String shown = o.defaultValue() != null
                                ? o.defaultValue()
                                : o.initialValue() == null
                                        ? null
                                        : o.initialValue().toString();
                        if (shown != null) {
                            assertTrue(
                                    squeezed(out).contains(squeezed(shown)),
                                    () -> o.longestName() + "'s default " + shown + " missing from\n" + help);
                        }
                    }
                    for (ArgSpec p : spec.positionalParameters()) {
                        assertTrue(out.contains(p.paramLabel()), () -> p.paramLabel() + " missing from\n" + help);
                        assertFalse(p.description().length == 0, () -> p.paramLabel() + " has no description");
                    }
                    assertFalse(out.contains("%n") || out.contains("${"), help::toString);
                    if (spec.userObject() instanceof Callable<?>) {
                        assertNotNull(
                                spec.userObject().getClass().getAnnotation(Fails.class),
                                spec.qualifiedName() + " lists no @Fails");
                        assertTrue(out.contains("Exit codes:") && out.contains("    0   success"), help::toString);
                        assertTrue(out.contains("Example"), help::toString);
                    }
                    Cli.Run shortHelp = Cli.run(Map.of(), args(path, "-h"));
                    assertEquals(help, shortHelp);
                    if (!path.isEmpty() && !path.get(0).equals("help")) {
                        Cli.Run helpCommand = Cli.run(Map.of(), args(List.of("help"), path.toArray(String[]::new)));
                        assertEquals(help, helpCommand);
                    }
                    Cli.Run version = Cli.run(Map.of(), args(path, "--version"));
                    assertEquals(0, version.exitCode(), version::toString);
                    assertTrue(version.out().startsWith("pitr "), version::toString);
                }));
    }

    @TestFactory
    Stream<DynamicTest> everyUsageErrorHintsAtACommandThatWorks() {
        return commands().stream()
                .map(path -> DynamicTest.dynamicTest("pitr " + String.join(" ", path) + " --no-such-option", () -> {
                    Cli.Run bad = Cli.run(Map.of(), args(path, "--no-such-option"));
                    Object cmd = spec(path).userObject();
                    int usage = cmd instanceof PitrCommand.ExitCodeOverride o
                            ? o.exitCode(ErrorCode.USAGE)
                            : ErrorCode.USAGE.exitCode();
                    assertEquals(usage, bad.exitCode(), bad::toString);
                    assertHintWorks(bad);
                }));
    }

    @Test
    void helpForACommandThatDoesNotExistIsAUsageError() {
        Cli.Run r = Cli.run(Map.of(), "help", "snapshot", "take");
        assertEquals(ErrorCode.USAGE.exitCode(), r.exitCode(), r::toString);
        assertTrue(r.err().contains("'pitr snapshot' has no command 'take'"), r::toString);
        assertHintWorks(r);
    }

    @Test
    void restoreWithoutATargetSaysSoAndItsHintWorks() {
        Cli.Run r = Cli.run(
                Map.of(), "--config", dir.resolve("absent.yaml").toString(), "restore", "--target-dir", dir.toString());
        assertEquals(ErrorCode.USAGE.exitCode(), r.exitCode(), r::toString);
        assertTrue(r.err().contains("Missing required argument"), r::toString);
        assertHintWorks(r);
    }

    @Test
    void restoreWithoutATargetDirectoryHintsAtItsHelp() throws IOException {
        Path config =
                Files.writeString(dir.resolve("pitr.yaml"), "primary:\n  host: 127.0.0.1\nstorage:\n  path: repo\n");
        Cli.Run r = Cli.run(Map.of(), "--config", config.toString(), "restore", "--latest");
        assertEquals(ErrorCode.USAGE.exitCode(), r.exitCode(), r::toString);
        assertTrue(r.err().contains("--target-dir is required"), r::toString);
        assertHintWorks(r);
    }

    @Test
    void restoreCommandKeepsItsExitCodeRulesForALineItCannotParse() {
        // PostgreSQL ends recovery on 1..125: a broken restore_command must not look like the end of the archive
        Cli.Run r = Cli.run(Map.of(), "wal", "fetch", "000000010000000000000001");
        assertEquals(ErrorCode.FETCH_ABORTED.exitCode(), r.exitCode(), r::toString);
        Cli.Run misspelled =
                Cli.run(Map.of(), "--confg", "/etc/pitr/pitr.yaml", "wal", "fetch", "000000010000000000000001", "x");
        assertEquals(ErrorCode.FETCH_ABORTED.exitCode(), misspelled.exitCode(), misspelled::toString);
        Cli.Run swallowed = Cli.run(Map.of(), "--config", "wal", "fetch", "000000010000000000000001", "x");
        assertEquals(ErrorCode.FETCH_ABORTED.exitCode(), swallowed.exitCode(), swallowed::toString);
    }

    /** Every 'pitr ...' a hint in the code names is a command line the CLI accepts. */
    @Test
    void everyCommandLineAHintNamesParses() throws IOException {
        // a command line quoted inside a string literal
        Pattern quoted = Pattern.compile("\"[^\"\\n]*'(pitr [a-z][^'%\"]*)'");
        Set<String> hinted = new TreeSet<>();
        for (Path root : List.of(Path.of("src/main/java"), Path.of("../core/src/main/java"))) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = quoted.matcher(Files.readString(f));
                    while (m.find()) {
                        hinted.add(m.group(1));
                    }
                }
            }
        }
        assertTrue(hinted.size() > 5, hinted::toString);
        for (String line : hinted) {
            String[] words = line.substring("pitr ".length()).split(" ");
            if (line.contains(" ID") || line.contains("COMMAND")) {
                continue;
            }
            try {
                PitrCommand.commandLine(Map.of()).parseArgs(words);
            } catch (CommandLine.ParameterException e) {
                throw new AssertionError("a hint names '" + line + "', which does not parse: " + e.getMessage(), e);
            }
        }
    }

    private static void assertHintWorks(Cli.Run failed) {
        Matcher m = HINTED_COMMAND.matcher(failed.err());
        assertTrue(m.find(), failed::toString);
        String[] words = m.group(1).substring("pitr ".length()).split(" ");
        Cli.Run hinted = Cli.run(Map.of(), words);
        assertEquals(0, hinted.exitCode(), () -> "the hint of\n" + failed + "\nran as\n" + hinted);
    }
}
