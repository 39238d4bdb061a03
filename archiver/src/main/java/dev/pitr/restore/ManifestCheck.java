package dev.pitr.restore;

import dev.pitr.backup.ManifestFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A snapshot's files checked against its {@code backup_manifest} while the lay-down writes them, as {@code
 * pg_verifybackup} would check them after, without reading them again: each file the tar holds must be listed, with
 * the size and checksum it was written with, and every file listed must have been written. What {@code
 * pg_verifybackup} passes over is passed over here too: {@code backup_manifest} itself, {@code pg_wal},
 * {@code postgresql.auto.conf}, {@code recovery.signal}, {@code standby.signal}, and the top-level names a restore
 * skips. Used by one lay-down thread at a time.
 */
final class ManifestCheck {

    /** What pg_verifybackup ignores by default. */
    private static final Set<String> IGNORED =
            Set.of("backup_manifest", "pg_wal", "postgresql.auto.conf", "recovery.signal", "standby.signal");

    private final ManifestFiles manifest;
    private final Set<String> skipped;
    private final Set<String> written = new HashSet<>();
    private final List<String> wrong = new ArrayList<>();

    ManifestCheck(ManifestFiles manifest, Set<String> skipped) {
        this.manifest = manifest;
        this.skipped = skipped;
    }

    /**
     * Whether this check can stand in for pg_verifybackup on {@code manifest}: every file listed by a plain path, and
     * every checksum in an algorithm computed here.
     */
    static boolean covers(ManifestFiles manifest) {
        if (!manifest.complete()) {
            return false;
        }
        for (ManifestFiles.Entry e : manifest.entries().values()) {
            if (!e.algorithm().equals("NONE")) {
                try {
                    ManifestFiles.Sum.of(e.algorithm());
                } catch (IOException unknown) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A sum for the file at {@code path} (relative, with '/'), or null when the check passes it over. */
    ManifestFiles.Sum sumFor(String path) throws IOException {
        if (ignored(path)) {
            return null;
        }
        ManifestFiles.Entry e = manifest.entries().get(path);
        if (e == null || e.algorithm().equals("NONE")) {
            return null;
        }
        return ManifestFiles.Sum.of(e.algorithm());
    }

    /** The file at {@code path} was written with {@code size} bytes and {@code sum} (from {@link #sumFor}). */
    void written(String path, long size, ManifestFiles.Sum sum) {
        if (ignored(path)) {
            return;
        }
        written.add(path);
        ManifestFiles.Entry e = manifest.entries().get(path);
        if (e == null) {
            wrong.add(path + " is not in backup_manifest");
            return;
        }
        if (size != e.size()) {
            wrong.add(path + " has " + size + " bytes, not " + e.size());
        } else if (sum != null && !sum.hex().equalsIgnoreCase(e.checksum())) {
            wrong.add(path + " does not match its " + e.algorithm() + " checksum");
        }
    }

    /**
     * What did not match, every file listed that was not written, and every file in {@code root} that was not written
     * (what was there before, as pg_verifybackup reports a file on disk the manifest does not list); empty when all is as
     * the manifest says.
     */
    List<String> problems(java.nio.file.Path root) throws IOException {
        List<String> out = new ArrayList<>(wrong);
        for (String path : manifest.entries().keySet()) {
            if (!ignored(path) && !written.contains(path)) {
                out.add(path + " is in backup_manifest but not in the snapshot");
            }
        }
        try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.walk(root)) {
            for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) all::iterator) {
                String rel = root.relativize(p).toString();
                if (!rel.isEmpty()
                        && !java.nio.file.Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        && !ignored(rel)
                        && !written.contains(rel)
                        && !manifest.entries().containsKey(rel)) {
                    out.add(rel + " is on disk but not in backup_manifest");
                }
            }
        }
        return out;
    }

    private boolean ignored(String path) {
        String top = path.contains("/") ? path.substring(0, path.indexOf('/')) : path;
        return IGNORED.contains(top) || skipped.contains(top);
    }
}
