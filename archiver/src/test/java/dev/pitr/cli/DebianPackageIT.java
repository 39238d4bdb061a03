package dev.pitr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.error.ErrorCode;
import dev.pitr.postgres.OsUser;
import dev.pitr.postgres.Processes;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release artifacts {@code mvn package} makes: the Debian package, unpacked by dpkg into an empty root, and the
 * tarball, unpacked into a directory whose name has a space and a quote, each run from where it lands; the systemd
 * units pass {@code systemd-analyze verify} without a warning.
 */
class DebianPackageIT {

    @TempDir
    Path tmp;

    private static Path built(String glob) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("target"))) {
            List<Path> found = s.filter(p ->
                            p.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName()))
                    .toList();
            assertEquals(1, found.size(), "one " + glob + " in target: " + found);
            return found.get(0).toAbsolutePath();
        }
    }

    /** Runs {@code cmd}, which must exit 0; the launcher keeps its class data archives under {@code tmp}. */
    private Processes.Result ok(List<String> cmd) {
        return ok(cmd, Map.of());
    }

    private Processes.Result ok(List<String> cmd, Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("PITR_CDS_DIR", tmp.resolve("cds").toString());
        Processes.Result r = Processes.run(cmd, all);
        assertEquals(0, r.exitCode(), cmd + ":\n" + r.output());
        return r;
    }

    @Test
    void thePackageInstallsIntoAnEmptyRootAndRunsFromThere() throws IOException {
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("var/lib/dpkg/updates"));
        Files.createDirectories(root.resolve("var/lib/dpkg/info"));
        Files.createFile(root.resolve("var/lib/dpkg/status"));
        // unpacked as dpkg installs it, without its dependencies (Java and the PostgreSQL client are the host's) and
        // without configuring it (its postinst adds a system user, which an empty root cannot)
        ok(List.of(
                "dpkg",
                "--root=" + root,
                "--force-depends",
                "--force-not-root",
                "--unpack",
                built("pitr_*_all.deb").toString()));
        String status =
                ok(List.of("dpkg", "--root=" + root, "--status", "pitr")).output();
        assertTrue(status.contains("/etc/pitr/pitr.yaml"), "the configuration is a conffile:\n" + status);
        Path pitr = root.resolve("usr/bin/pitr");
        assertEquals(
                "pitr 0.1.0", ok(List.of(pitr.toString(), "--version")).output().strip());
        assertTrue(ok(List.of(pitr.toString(), "--help")).output().contains("restore"));
        assertTrue(ok(List.of(pitr.toString(), "restore", "--help")).output().contains("--target-dir"));
        for (String page : List.of("pitr.1", "pitr-restore.1", "pitr-run.1", "pitr-agent.1", "pitr-wal-fetch.1")) {
            assertTrue(Files.isRegularFile(root.resolve("usr/share/man/man1").resolve(page)), page);
        }
        Path completion = root.resolve("usr/share/bash-completion/completions/pitr");
        ok(List.of("bash", "-n", completion.toString()));
        assertTrue(Files.readString(completion).contains("restore"));
        assertTrue(Files.isRegularFile(root.resolve("usr/share/zsh/vendor-completions/_pitr")));
        // the units, with what they start from in this root and the system's own targets beside them
        Path units = root.resolve("lib/systemd/system");
        try (Stream<Path> s = Files.list(Path.of("/lib/systemd/system"))) {
            for (Path u : s.filter(p -> p.toString().endsWith(".target")).toList()) {
                Files.copy(u, units.resolve(u.getFileName()));
            }
        }
        Processes.Result verify = ok(List.of(
                "systemd-analyze", "verify", "--man=no", "--root=" + root, "pitr-run.service", "pitr-agent.service"));
        assertEquals("", verify.output().strip(), "systemd-analyze verify warns");
        String run = Files.readString(units.resolve("pitr-run.service"));
        assertTrue(run.contains("ProtectSystem=strict") && run.contains("User=pitr"), run);
    }

    @Test
    void theTarballRunsFromWhereverItIsUnpacked() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("opt with space and 'quote'"));
        ok(List.of("tar", "-xzf", built("pitr-*.tar.gz").toString(), "-C", dir.toString()));
        Path pitr;
        try (Stream<Path> s = Files.list(dir)) {
            pitr = s.findFirst().orElseThrow().resolve("bin/pitr");
        }
        assertEquals(
                "pitr 0.1.0", ok(List.of(pitr.toString(), "--version")).output().strip());
        // run through a link, as from /usr/local/bin
        Path link = Files.createSymbolicLink(tmp.resolve("pitr"), pitr);
        assertTrue(ok(List.of(link.toString(), "snapshot", "create", "--help"))
                .output()
                .contains("--incremental"));
        assertTrue(Files.isRegularFile(pitr.getParent().getParent().resolve("lib/systemd/system/pitr-agent.service")));
        assertTrue(Files.isRegularFile(pitr.getParent().getParent().resolve("etc/pitr.yaml")));
    }

    @Test
    void theLauncherSavesAClassArchiveOnceAndMapsItAfter() throws IOException {
        ok(List.of("tar", "-xzf", built("pitr-*.tar.gz").toString(), "-C", tmp.toString()));
        Path pitr;
        try (Stream<Path> s =
                Files.list(tmp).filter(p -> p.getFileName().toString().startsWith("pitr-"))) {
            pitr = s.findFirst().orElseThrow().resolve("bin/pitr");
        }
        Path cds = tmp.resolve("cache with space and 'quote'/pitr");
        // the first short command saves the archive (pitr's warm-up, apart from it), whatever the command does; the
        // command itself runs as given, with its own exit code and output
        Processes.Result failed = Processes.run(
                List.of(pitr.toString(), "--config", tmp.resolve("none.yaml").toString(), "status"),
                Map.of("PITR_CDS_DIR", cds.toString()));
        assertEquals(ErrorCode.CONFIG_MISSING.exitCode(), failed.exitCode(), failed.output());
        assertTrue(failed.output().startsWith("error (config-missing)"), failed.output());
        List<Path> saved = archives(cds);
        assertEquals(1, saved.size(), saved.toString());
        List<Path> libraries = libraries(cds);
        assertEquals(1, libraries.size(), listing(cds));
        try (Stream<Path> s = Files.list(cds)) {
            assertEquals(
                    Set.of(libraries.get(0), saved.get(0)),
                    s.collect(Collectors.toSet()),
                    "nothing but the archive and SQLite's library is left");
        }
        Path library = libraries.get(0).resolve("libsqlitejdbc.so");
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(libraries.get(0))));
        for (Path p : List.of(saved.get(0), library)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        }
        assertTrue(saved.get(0).getFileName().toString().endsWith("-" + Files.size(saved.get(0)) + ".jsa"));
        assertTrue(libraries.get(0).getFileName().toString().endsWith("-" + Files.size(library) + ".lib"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cds)));
        Path loaded = tmp.resolve("classes.log");
        Map<String, String> logged = Map.of(
                "PITR_JAVA_OPTS",
                "-XX:+UseSerialGC -Xlog:class+load=info:file=" + loaded,
                "PITR_CDS_DIR",
                cds.toString());
        // the options are part of what an archive was saved with: these save one of their own, then map it
        assertEquals(
                "pitr 0.1.0",
                ok(List.of(pitr.toString(), "--version"), logged).output().strip());
        assertEquals(
                "pitr 0.1.0",
                ok(List.of(pitr.toString(), "--version"), logged).output().strip());
        assertTrue(Files.readString(loaded).contains("source: shared objects file (top)"), "mapped from the archive");
        // the other options' archive is kept beside it: two sets in turn do not replace each other's every time
        assertEquals(2, archives(cds).size(), listing(cds));
        Path mapped = newest(cds);

        // an archive cut short (a JVM that maps one crashes) is passed over, and saved anew
        try (FileChannel ch = FileChannel.open(mapped, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(mapped) / 2);
        }
        assertEquals(
                "pitr 0.1.0",
                ok(List.of(pitr.toString(), "--version"), logged).output().strip());
        assertTrue(Files.readString(loaded).contains("source: shared objects file (top)"), "mapped from the new one");
        assertEquals(2, archives(cds).size(), listing(cds));
        for (Path a : archives(cds)) {
            assertTrue(
                    a.getFileName().toString().endsWith("-" + Files.size(a) + ".jsa"), "saved whole: " + listing(cds));
        }

        // one another user could write is passed over too
        Path open = newest(cds);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-rw-rw-"));
        ok(List.of(pitr.toString(), "--version"), logged);
        assertEquals(2, archives(cds).size(), listing(cds));
        for (Path a : archives(cds)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(a)), "saved anew");
        }

        // so is a directory others may write to: nothing is saved there, and the command runs
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        ok(
                List.of(pitr.toString(), "--version"),
                Map.of("PITR_CDS_DIR", shared.resolve("cds").toString()));
        assertFalse(Files.exists(shared.resolve("cds")), "nothing is made there");

        if (OsUser.isRoot()) {
            // a directory this user may not write to, and no archive in it: the command runs all the same
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path rootOwned = Files.createDirectories(tmp.resolve("root-owned"));
            Files.setPosixFilePermissions(rootOwned, PosixFilePermissions.fromString("rwxr-xr-x"));
            Processes.Result asNobody = Processes.run(
                    List.of("runuser", "-u", "nobody", "--", pitr.toString(), "--version"),
                    Map.of("PITR_CDS_DIR", rootOwned.toString()));
            assertEquals(0, asNobody.exitCode(), asNobody.output());
            assertEquals("pitr 0.1.0", asNobody.output().strip());
        }

        // PITR_CDS=off: neither saved nor mapped
        Path off = tmp.resolve("cds-off");
        ok(List.of(pitr.toString(), "--version"), Map.of("PITR_CDS", "off", "PITR_CDS_DIR", off.toString()));
        assertFalse(Files.exists(off));

        // a short command loads SQLite's library from the directory: with nowhere to extract a copy of its own to, a
        // catalog still opens
        Path libDir = tmp.resolve("lib cache");
        Map<String, String> noTmp = Map.of(
                "PITR_JAVA_OPTS",
                "-XX:+UseSerialGC -Djava.library.path=/nonexistent -Djava.io.tmpdir=" + tmp.resolve("nosuchdir"),
                "PITR_CDS_DIR",
                libDir.toString());
        Path yaml = Files.writeString(
                tmp.resolve("local.yaml"),
                "storage:\n  path: " + tmp.resolve("repo") + "\ncatalog:\n  path: " + tmp.resolve("catalog.db") + "\n");
        ok(List.of(pitr.toString(), "--config", yaml.toString(), "init", "--create"), noTmp);
        Processes.Result listed =
                ok(List.of("sh", "-x", pitr.toString(), "--config", yaml.toString(), "snapshot", "list"), noTmp);
        assertTrue(listed.output().contains("ID "), listed.output());
        assertTrue(
                listed.output()
                        .contains("-Dorg.sqlite.lib.path=" + libraries(libDir).get(0)),
                listed.output());
        // one cut short is passed over, and the library alone saved anew (the archive is whole)
        Path lib = libraries(libDir).get(0).resolve("libsqlitejdbc.so");
        long whole = Files.size(lib);
        try (FileChannel ch = FileChannel.open(lib, StandardOpenOption.WRITE)) {
            ch.truncate(whole / 2);
        }
        Processes.Result traced =
                ok(List.of("sh", "-x", pitr.toString(), "--config", yaml.toString(), "snapshot", "list"), noTmp);
        assertTrue(traced.output().contains("/.tried-lib-"), traced.output());
        assertFalse(traced.output().contains("ArchiveClassesAtExit"), traced.output());
        assertTrue(traced.output().contains("ID "), traced.output());
        assertEquals(
                List.of(whole),
                libraries(libDir).stream()
                        .map(d -> d.resolve("libsqlitejdbc.so").toFile().length())
                        .toList());
        // one of its full size that does not load is handed over, and SQLite extracts a copy of its own as ever
        String defaults = saved.get(0).getFileName().toString().replaceAll("[0-9]+\\.jsa$", "");
        Path defaultLib = libraries(cds).stream()
                .filter(p -> p.getFileName().toString().startsWith(defaults))
                .findFirst()
                .orElseThrow();
        Path good = defaultLib.resolve("libsqlitejdbc.so");
        Files.write(good, new byte[(int) Files.size(good)]);
        Processes.Result fellBack = Processes.run(
                List.of("sh", "-x", pitr.toString(), "--config", yaml.toString(), "snapshot", "list"),
                Map.of("PITR_CDS_DIR", cds.toString()));
        assertEquals(0, fellBack.exitCode(), fellBack.output());
        assertTrue(fellBack.output().contains("-Dorg.sqlite.lib.path=" + defaultLib), fellBack.output());
    }

    /** The archive saved last in {@code dir}. */
    private static Path newest(Path dir) throws IOException {
        return archives(dir).stream()
                .max(Comparator.comparingLong(p -> p.toFile().lastModified()))
                .orElseThrow();
    }

    private static String listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName() + " " + p.toFile().length())
                    .toList()
                    .toString();
        }
    }

    /** The directories of SQLite's library saved in {@code dir}. */
    private static List<Path> libraries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".lib")).toList();
        }
    }

    private static List<Path> archives(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsa")).toList();
        }
    }
}
