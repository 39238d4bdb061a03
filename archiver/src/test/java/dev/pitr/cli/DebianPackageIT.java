package dev.pitr.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.postgres.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    private static Processes.Result ok(List<String> cmd) {
        Processes.Result r = Processes.run(cmd);
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
}
