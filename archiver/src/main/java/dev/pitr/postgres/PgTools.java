package dev.pitr.postgres;

import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Locates PostgreSQL's client and server programs in {@code postgres.bin_dir} and reads their versions. */
public final class PgTools {

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?");

    private final Path binDir;
    private final String osUser;

    public PgTools(Path binDir, String osUser) {
        this.binDir = binDir;
        this.osUser = osUser;
    }

    public static PgTools from(Config config) {
        return new PgTools(Path.of(config.require(Key.POSTGRES_BIN_DIR)), config.require(Key.POSTGRES_OS_USER));
    }

    public String osUser() {
        return osUser;
    }

    /** The absolute path of {@code program}, or a {@code tool-missing} error. */
    public String path(String program) {
        Path p = binDir.resolve(program);
        if (!Files.isExecutable(p)) {
            throw new PitrException(
                    ErrorCode.TOOL_MISSING,
                    program + " not found in " + binDir,
                    "install the PostgreSQL client/server packages matching the server and set postgres.bin_dir");
        }
        return p.toString();
    }

    /** The major version {@code program --version} reports, e.g. 15. */
    public int majorVersion(String program) {
        Processes.Result r = Processes.run(List.of(path(program), "--version"));
        Matcher m = VERSION.matcher(r.output());
        if (!r.ok() || !m.find()) {
            throw new PitrException(
                    ErrorCode.TOOL_MISSING,
                    program + " --version failed: " + r.output().strip(),
                    "check the installation in " + binDir);
        }
        return Integer.parseInt(m.group(1));
    }

    /** {@code program args} run as the PostgreSQL OS user when we are root. */
    public List<String> asPostgres(String program, String... args) {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(path(program));
        cmd.addAll(List.of(args));
        return OsUser.as(osUser, cmd);
    }
}
