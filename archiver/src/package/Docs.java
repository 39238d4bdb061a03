import dev.pitr.cli.PitrCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Writes pitr's bash completion ({@code OUT/completion/pitr}) and its man pages' AsciiDoc ({@code OUT/man-adoc}, one
 * page per command) from the command definitions in pitr.jar, with picocli's generators. Run at build time with the
 * source launcher: {@code java -cp pitr.jar:picocli-codegen.jar Docs.java OUT}; nothing of it enters pitr.jar.
 */
public class Docs {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        CommandLine pitr = PitrCommand.commandLine(Map.of());
        Files.createDirectories(out.resolve("completion"));
        Files.writeString(out.resolve("completion/pitr"), AutoComplete.bash("pitr", pitr));
        int rc = ManPageGenerator.generateManPage(
                out.resolve("man-adoc").toFile(), null, new boolean[0], true, pitr.getCommandSpec());
        System.exit(rc);
    }
}
