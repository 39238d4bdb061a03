package dev.pitr.postgres;

import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import dev.pitr.wal.WalFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Locates PostgreSQL's client and server programs in {@code postgres.bin_dir} and reads their versions. The setting may
 * name the version as {@code {major}} ({@code /usr/lib/postgresql/{major}/bin}, the default, as Debian and Ubuntu lay
 * each version out; {@code /usr/pgsql-{major}/bin} as RHEL does): each use resolves it to the version it serves, the
 * server's for capture, snapshots and check, the restored data directory's for a restore. A path without it that names
 * a version as one of its directories ({@code /usr/lib/postgresql/15/bin}) finds another version's programs beside
 * it, where they are installed; otherwise the one directory serves every version, and the version checks say when its
 * programs cannot.
 */
public final class PgTools {

    /** What {@code postgres.bin_dir} may hold in place of the major version. */
    public static final String MAJOR = "{major}";

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)(?:\\.(\\d+))?");

    private final String configured;
    private final Path binDir;
    /** Where a program the version's own directory lacks is taken from: the configured one, when that was not it. */
    private final Path fallback;

    private final String osUser;

    /** The programs in {@code binDir}, a directory (not a {@code postgres.bin_dir} value naming {@code {major}}). */
    public PgTools(Path binDir, String osUser) {
        this(binDir.toString(), binDir, null, osUser);
        if (binDir.toString().contains(MAJOR)) {
            throw new IllegalArgumentException(binDir + " names " + MAJOR + "; use PgTools.ofSetting");
        }
    }

    private PgTools(String configured, Path binDir, Path fallback, String osUser) {
        this.configured = configured;
        this.binDir = binDir;
        this.fallback = fallback;
        this.osUser = osUser;
    }

    public static PgTools from(Config config) {
        return ofSetting(config.require(Key.POSTGRES_BIN_DIR), config.require(Key.POSTGRES_OS_USER));
    }

    /** The programs a {@code postgres.bin_dir} value names, run as {@code osUser}. */
    public static PgTools ofSetting(String binDir, String osUser) {
        return new PgTools(binDir, binDir.contains(MAJOR) ? null : Path.of(binDir), null, osUser);
    }

    /**
     * The programs that serve PostgreSQL {@code major}: {@code {major}} replaced by it, or, for a path that names
     * another version as one of its directories, the same path with that version's number where that directory exists.
     */
    public PgTools forMajor(int major) {
        if (configured.contains(MAJOR)) {
            return new PgTools(configured, Path.of(configured.replace(MAJOR, Integer.toString(major))), null, osUser);
        }
        Path dir = Path.of(configured);
        Optional<Path> sibling = sibling(dir, major).filter(s -> !s.equals(dir));
        // a sibling may hold only an extension's programs: what it lacks comes from the configured directory
        return sibling.isPresent()
                ? new PgTools(configured, sibling.get(), dir, osUser)
                : new PgTools(configured, dir, null, osUser);
    }

    /**
     * For the demo, which starts a server of its own: the newest version whose server programs are installed where the
     * setting looks, or the setting itself when it names no version.
     */
    public PgTools newestInstalled() {
        for (int i = WalFormat.supportedMajors().size() - 1; i >= 0; i--) {
            PgTools t = forMajor(WalFormat.supportedMajors().get(i));
            if (Files.isExecutable(t.binDir.resolve("initdb"))) {
                return t;
            }
        }
        return forMajor(WalFormat.PG15.major());
    }

    /** {@code dir} with a directory that names a supported version replaced by {@code major}, if it exists. */
    private static Optional<Path> sibling(Path dir, int major) {
        List<String> parts = new ArrayList<>();
        dir.forEach(p -> parts.add(p.toString()));
        for (int i = parts.size() - 1; i >= 0; i--) {
            if (parts.get(i).matches("\\d{2}")
                    && WalFormat.ofMajor(Integer.parseInt(parts.get(i))).isPresent()) {
                parts.set(i, Integer.toString(major));
                Path other = dir.getRoot() == null ? Path.of("") : dir.getRoot();
                for (String p : parts) {
                    other = other.resolve(p);
                }
                return Files.isDirectory(other) ? Optional.of(other) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    public String osUser() {
        return osUser;
    }

    /** The directory the programs are taken from. */
    public Path binDir() {
        requireResolved();
        return binDir;
    }

    /** The absolute path of {@code program}, or a {@code tool-missing} error. */
    public String path(String program) {
        requireResolved();
        Path p = binDir.resolve(program);
        if (!Files.isExecutable(p) && fallback != null && Files.isExecutable(fallback.resolve(program))) {
            p = fallback.resolve(program);
        }
        if (!Files.isExecutable(p)) {
            throw new PitrException(
                    ErrorCode.TOOL_MISSING,
                    program + " not found in " + binDir,
                    "install the PostgreSQL client/server packages matching the server and set postgres.bin_dir");
        }
        return p.toString();
    }

    private void requireResolved() {
        if (binDir == null) {
            throw new PitrException(
                    ErrorCode.INTERNAL,
                    "postgres.bin_dir (" + configured + ") was used before the PostgreSQL version it names was known",
                    "this is a bug; please report it, and set postgres.bin_dir to a directory without " + MAJOR
                            + " meanwhile");
        }
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
        List<String> cmd = new ArrayList<>();
        cmd.add(path(program));
        cmd.addAll(List.of(args));
        return OsUser.as(osUser, cmd);
    }

    /**
     * Checks that these are the programs a restore of a PostgreSQL {@code major} data directory needs: its own
     * version's server ({@code postgres}, {@code pg_ctl}; no other version starts it) and a {@code pg_verifybackup} at
     * least as new (a newer version's manifest is one an older one cannot read).
     *
     * @throws PitrException {@code tool-missing}, saying which directory to set
     */
    public void requireRestorePrograms(int major) {
        for (String program : List.of("postgres", "pg_ctl", "pg_verifybackup")) {
            int found = versionOrMissing(program, major);
            boolean serves = program.equals("pg_verifybackup") ? found >= major : found == major;
            if (!serves) {
                throw new PitrException(
                        ErrorCode.TOOL_MISSING,
                        "the snapshot is of PostgreSQL " + major + ", but " + path(program) + " is " + found + "'s",
                        installHint(major, program.equals("pg_verifybackup") ? "client" : "server"));
            }
        }
    }

    /**
     * Fails with a hint unless {@code pg_combinebackup} is PostgreSQL {@code major}'s: it rebuilds a data directory from
     * a chain of that version's own incremental backups.
     */
    public void requireCombine(int major) {
        int found = versionOrMissing("pg_combinebackup", major);
        if (found != major) {
            throw new PitrException(
                    ErrorCode.TOOL_MISSING,
                    "the snapshot is a PostgreSQL " + major + " incremental backup, but " + path("pg_combinebackup")
                            + " is " + found + "'s",
                    installHint(major, "client"));
        }
    }

    private int versionOrMissing(String program, int major) {
        try {
            return majorVersion(program);
        } catch (PitrException e) {
            throw new PitrException(
                    ErrorCode.TOOL_MISSING,
                    e.getMessage() + " (needed for PostgreSQL " + major + ")",
                    installHint(
                            major, program.startsWith("pg_ctl") || program.equals("postgres") ? "server" : "client"));
        }
    }

    /** What to install and set so that PostgreSQL {@code major}'s {@code kind} ("server", "client") programs are found. */
    public String installHint(int major, String kind) {
        String example = configured.contains(MAJOR) ? configured.replace(MAJOR, Integer.toString(major)) : null;
        return "install PostgreSQL " + major + "'s " + kind + " programs (Debian and Ubuntu: postgresql-"
                + (kind.equals("server") ? "" : "client-") + major + ")"
                + (example != null
                        ? ", which postgres.bin_dir (" + configured + ") finds in " + example
                        : " and set postgres.bin_dir to their directory, or to a path with " + MAJOR
                                + " in place of the version (e.g. /usr/lib/postgresql/" + MAJOR + "/bin)");
    }
}
