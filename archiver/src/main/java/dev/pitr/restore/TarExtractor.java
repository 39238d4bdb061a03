package dev.pitr.restore;

import dev.pitr.backup.ChangedBlocks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Lays a base backup's tar down in a data directory, where only what {@code pg_basebackup} writes into a single tar
 * gets through: directories and regular files, under relative names that stay inside the directory. Links of every
 * kind are refused: a tar written to standard output holds no tablespace, so a snapshot has no {@code pg_tblspc}
 * link, and with none created no later entry can be written through one. However a tar was made, nothing outside
 * the directory is created, written or changed; a refused entry stops the extraction where it is.
 */
final class TarExtractor {

    private TarExtractor() {}

    /** Extracts every entry; returns the number of files written. */
    static long extract(InputStream in, Path dir) throws IOException {
        return extract(in, dir, Set.of());
    }

    /**
     * Extracts every entry but those under the top-level names {@code skipped} (what an earlier restore of the
     * snapshotted server left in its data directory, which is not the database's); returns the number of files written.
     */
    static long extract(InputStream in, Path dir, Set<String> skipped) throws IOException {
        return extract(in, dir, skipped, false, Set.of(), null).files();
    }

    /**
     * Extracts every entry but those under the top-level names {@code skipped} and the files {@code kept} (files a
     * delta restore found already in place), which are read past; returns what was laid down and named.
     */
    static Laid extract(InputStream in, Path dir, Set<String> skipped, Set<Path> kept) throws IOException {
        return extract(in, dir, skipped, false, kept, null);
    }

    /**
     * {@link #extract(InputStream, Path, Set, Set)}, telling {@code check} the size and checksum of each file as it is
     * written, so none needs reading again.
     */
    static Laid extract(InputStream in, Path dir, Set<String> skipped, Set<Path> kept, ManifestCheck check)
            throws IOException {
        return extract(in, dir, skipped, false, kept, check);
    }

    /** What one tar laid down: the files written, and every path it named (a block-level form by its file's name). */
    record Laid(long files, Set<Path> paths) {}

    /**
     * Lays an incremental snapshot's tar onto the directory its parent's chain left: a relation file's block-level form
     * ({@link ChangedBlocks#SUFFIX}) is applied onto the file there, every other file replaces the one there.
     */
    static Laid overlay(InputStream in, Path dir, Set<String> skipped) throws IOException {
        return extract(in, dir, skipped, true, Set.of(), null);
    }

    /** {@link #overlay}, reading past the files {@code kept}. */
    static Laid overlay(InputStream in, Path dir, Set<String> skipped, Set<Path> kept) throws IOException {
        return extract(in, dir, skipped, true, kept, null);
    }

    /**
     * The paths a tar of the entries {@code names} (a directory's ending in {@code /}) names in {@code dir}, as {@link
     * #extract} (or {@link #overlay}, {@code onto}) counts them in what it returns; with, for each, whether it is a
     * directory.
     *
     * @throws IOException when a name is one {@link #extract} refuses
     */
    static java.util.Map<Path, Boolean> named(java.util.List<String> names, Path dir, Set<String> skipped, boolean onto)
            throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        java.util.Map<Path, Boolean> paths = new java.util.HashMap<>();
        for (String entry : names) {
            String name = onto && entry.endsWith(ChangedBlocks.SUFFIX)
                    ? entry.substring(0, entry.length() - ChangedBlocks.SUFFIX.length())
                    : entry;
            Path out = inside(root, name);
            if (!out.equals(root)
                    && !skipped.contains(root.relativize(out).getName(0).toString())) {
                paths.put(out, entry.endsWith("/"));
            }
        }
        return paths;
    }

    /**
     * What a tar of the entries {@code names} would name, when laying it down would change nothing: every file is
     * {@code kept} and every directory is there. Empty when the tar must be read.
     *
     * @throws IOException when a name is one {@link #extract} refuses
     */
    static java.util.Optional<Laid> inPlace(
            java.util.List<String> names, Path dir, Set<String> skipped, boolean onto, Set<Path> kept)
            throws IOException {
        return inPlace(named(names, dir, skipped, onto), kept);
    }

    /** {@link #inPlace}, of the paths {@link #named} gives. */
    static java.util.Optional<Laid> inPlace(java.util.Map<Path, Boolean> paths, Set<Path> kept) {
        for (var e : paths.entrySet()) {
            if (e.getValue() ? !Files.isDirectory(e.getKey(), LinkOption.NOFOLLOW_LINKS) : !kept.contains(e.getKey())) {
                return java.util.Optional.empty();
            }
        }
        return java.util.Optional.of(new Laid(0, paths.keySet()));
    }

    private static Laid extract(
            InputStream in, Path dir, Set<String> skipped, boolean onto, Set<Path> kept, ManifestCheck check)
            throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        TarArchiveInputStream tar = new TarArchiveInputStream(in);
        long files = 0;
        Set<Path> paths = new java.util.HashSet<>();
        TarArchiveEntry e;
        while ((e = tar.getNextEntry()) != null) {
            boolean blocks = onto && e.getName().endsWith(ChangedBlocks.SUFFIX);
            String name = blocks
                    ? e.getName().substring(0, e.getName().length() - ChangedBlocks.SUFFIX.length())
                    : e.getName();
            Path out = inside(root, name);
            if (out.equals(root)) {
                if (!e.isDirectory()) {
                    throw new IOException("tar entry '" + e.getName() + "' names the target directory itself");
                }
                continue;
            }
            if (skipped.contains(root.relativize(out).getName(0).toString())) {
                continue;
            }
            if (!paths.add(out) && onto) {
                throw new IOException("tar entry " + out + " appears twice");
            }
            if (e.isDirectory()) {
                createDirectories(root, out);
            } else if (e.getLinkFlag() == TarConstants.LF_NORMAL || e.getLinkFlag() == TarConstants.LF_OLDNORM) {
                if (kept.contains(out)) {
                    // a delta restore found it in place; the tar reader reads past it
                    continue;
                }
                createDirectories(root, out.getParent());
                if (blocks) {
                    applyBlocks(tar, name, out);
                } else {
                    if (onto) {
                        try {
                            Files.deleteIfExists(out);
                        } catch (IOException x) {
                            throw new LocalWriteException(out, x);
                        }
                    }
                    String rel = root.relativize(out).toString();
                    dev.pitr.backup.ManifestFiles.Sum sum = check == null ? null : check.sumFor(rel);
                    long size = copy(tar, out, sum);
                    if (check != null) {
                        check.written(rel, size, sum);
                    }
                }
                files++;
            } else {
                throw new IOException("tar entry " + e.getName() + " is a " + kind(e)
                        + ": a snapshot holds only files and directories");
            }
        }
        byte[] buf = new byte[1 << 16];
        while (in.read(buf) > 0) {
            // read to the end so the checksum covers the whole object
        }
        return new Laid(files, paths);
    }

    /** Applies a relation file's block-level form onto the parent's copy at {@code out} (a new file when none is). */
    private static void applyBlocks(InputStream form, String name, Path out) throws IOException {
        if (!ChangedBlocks.isBlockLevel(name)) {
            throw new IOException("tar entry " + name + ChangedBlocks.SUFFIX + " holds changed blocks of a file that"
                    + " is not a relation's main fork");
        }
        boolean existed = Files.exists(out, LinkOption.NOFOLLOW_LINKS);
        if (existed && !Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS)) {
            throw new LocalWriteException(
                    out, new IOException("not a regular file; changed blocks are laid onto a file only"));
        }
        java.nio.channels.FileChannel ch;
        try {
            ch = java.nio.channels.FileChannel.open(
                    out, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            if (!existed) {
                Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException e) {
            throw new LocalWriteException(out, e);
        }
        try (ch) {
            ChangedBlocks.apply(form, ch);
        } catch (ChangedBlocks.TargetException e) {
            throw new LocalWriteException(out, e);
        } catch (IOException e) {
            throw new IOException("tar entry " + name + ChangedBlocks.SUFFIX + ": " + e.getMessage(), e);
        }
    }

    /**
     * A local file could not be written (a full disk, say): the snapshot is not at fault, and the failure says so
     * apart from a damaged archive.
     */
    static final class LocalWriteException extends IOException {
        private static final long serialVersionUID = 1L;

        LocalWriteException(Path file, IOException cause) {
            super("cannot write " + file + ": " + cause.getMessage(), cause);
        }
    }

    /**
     * Copies the entry's bytes into a new owner-only file, adding them to {@code sum} (when not null) on the way; a name
     * seen twice fails rather than replacing the first. Returns the bytes written.
     */
    private static long copy(InputStream entry, Path out, dev.pitr.backup.ManifestFiles.Sum sum) throws IOException {
        long size = 0;
        byte[] buf = new byte[1 << 16];
        OutputStream file;
        try {
            file = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new IOException("tar entry " + out + " appears twice", e);
        } catch (IOException e) {
            throw new LocalWriteException(out, e);
        }
        try {
            try {
                Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
            } catch (IOException e) {
                throw new LocalWriteException(out, e);
            }
            int n;
            while ((n = entry.read(buf)) > 0) {
                try {
                    file.write(buf, 0, n);
                } catch (IOException e) {
                    throw new LocalWriteException(out, e);
                }
                if (sum != null) {
                    sum.update(buf, 0, n);
                }
                size += n;
            }
        } catch (IOException | RuntimeException e) {
            // a failure already on its way says more than the close that follows it
            try {
                file.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        try {
            file.close();
        } catch (IOException e) {
            throw new LocalWriteException(out, e);
        }
        return size;
    }

    /** {@code name} under {@code root}, when it is relative and none of its parts climbs out. */
    static Path inside(Path root, String name) throws IOException {
        if (name.isEmpty() || name.startsWith("/") || name.indexOf('\0') >= 0) {
            throw new IOException("tar entry '" + name + "' is not a relative name");
        }
        for (String part : name.split("/", -1)) {
            if (part.equals("..")) {
                throw new IOException("tar entry '" + name + "' climbs out of the target directory");
            }
        }
        Path out = root.resolve(name).normalize();
        if (!out.startsWith(root)) {
            throw new IOException("tar entry '" + name + "' escapes the target directory");
        }
        return out;
    }

    /** Creates {@code d} and its parents up to {@code root} as owner-only directories, through no link. */
    private static void createDirectories(Path root, Path d) throws IOException {
        Path at = root;
        for (Path part : root.relativize(d)) {
            at = at.resolve(part);
            if (Files.isSymbolicLink(at)) {
                throw new IOException(at + " is a link; a snapshot is never laid down through one");
            }
            if (!Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(at);
                    Files.setPosixFilePermissions(at, PosixFilePermissions.fromString("rwx------"));
                } catch (FileAlreadyExistsException e) {
                    throw new IOException("tar entry " + at + " is a directory and a file at once", e);
                } catch (IOException e) {
                    throw new LocalWriteException(at, e);
                }
            }
        }
    }

    private static String kind(TarArchiveEntry e) {
        if (e.isSymbolicLink()) {
            return "symbolic link to " + e.getLinkName();
        }
        if (e.isLink()) {
            return "hard link to " + e.getLinkName();
        }
        if (e.isCharacterDevice() || e.isBlockDevice()) {
            return "device";
        }
        if (e.isFIFO()) {
            return "named pipe";
        }
        return "entry of type '" + (char) e.getLinkFlag() + "'";
    }
}
