package dev.pitr.storage;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Storage in a local directory. A put writes a hidden temporary file beside the target, fsyncs it, renames it over the
 * key and fsyncs the directory, so a crash leaves either the old object or the new one. Objects are world-readable so
 * that a restore running as the {@code postgres} user can fetch them. Metadata lives in a properties file under
 * {@code .meta/} with the same key, written the same way just before the object.
 */
public final class LocalStorage implements Storage {

    private static final String TEMP_PREFIX = ".tmp-";
    private static final String META_DIR = ".meta";

    private final Path root;

    public LocalStorage(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public Optional<Path> localRoot() {
        return Optional.of(root);
    }

    public Path root() {
        return root;
    }

    @Override
    public long put(String key, Map<String, String> metadata, Writer writer) {
        Path target = resolve(key);
        Metadata.validate(metadata);
        Path metaFile = root.resolve(META_DIR).resolve(key + ".properties");
        if (!metadata.isEmpty()) {
            write(key, metaFile, out -> out.write(Metadata.toProperties(metadata)));
        } else {
            deleteIfExists(metaFile, key);
        }
        return write(key, target, writer);
    }

    @Override
    public Map<String, String> metadata(String key) {
        if (stat(key).isEmpty()) {
            throw new ObjectNotFoundException(key);
        }
        Path metaFile = root.resolve(META_DIR).resolve(key + ".properties");
        try {
            return Metadata.fromProperties(Files.readAllBytes(metaFile));
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw new StorageException("cannot read the metadata of " + key + ": " + e.getMessage(), e);
        }
    }

    private long write(String key, Path target, Writer writer) {
        Path temp = null;
        try {
            Path dir = target.getParent();
            createDirectories(dir);
            temp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
            try (FileChannel ch = FileChannel.open(
                    temp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")))) {
                // closing the stream early (as a compressor does) must not close the channel before the fsync
                BufferedOutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16) {
                    @Override
                    public void close() throws IOException {
                        flush();
                    }
                };
                writer.writeTo(out);
                out.flush();
                ch.force(true);
            }
            long size = Files.size(temp);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new StorageException("filesystem cannot rename atomically: " + dir, e);
            }
            temp = null;
            fsyncDirectory(dir);
            return size;
        } catch (IOException e) {
            throw new StorageException("cannot write " + key + " to " + describe() + ": " + e.getMessage(), e);
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the temp name is hidden from list(); a leftover is harmless
                }
            }
        }
    }

    @Override
    public InputStream open(String key) {
        Path p = resolve(key);
        try {
            return Files.newInputStream(p);
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key);
        } catch (IOException e) {
            throw new StorageException("cannot read " + key + " from " + describe() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Long> stat(String key) {
        Path p = resolve(key);
        try {
            return Optional.of(Files.size(p));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StorageException("cannot stat " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> list(String prefix) {
        List<String> keys = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return keys;
        }
        // from the prefix's own directory down; an object (or a directory) removed while the listing walks past it is
        // simply not listed: capture removes chunks while other commands list
        int slash = prefix.lastIndexOf('/');
        Path start = slash > 0 ? root.resolve(prefix.substring(0, slash)).normalize() : root;
        if (!start.startsWith(root) || !Files.isDirectory(start)) {
            return keys;
        }
        Path metaRoot = root.resolve(META_DIR);
        try {
            Files.walkFileTree(start, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult preVisitDirectory(
                        Path dir, java.nio.file.attribute.BasicFileAttributes a) {
                    return dir.equals(metaRoot)
                            ? java.nio.file.FileVisitResult.SKIP_SUBTREE
                            : java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes a) {
                    String key = root.relativize(p).toString().replace('\\', '/');
                    if (a.isRegularFile()
                            && !p.getFileName().toString().startsWith(TEMP_PREFIX)
                            && key.startsWith(prefix)) {
                        keys.add(key);
                    }
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) throws IOException {
                    if (e instanceof java.nio.file.NoSuchFileException) {
                        return java.nio.file.FileVisitResult.CONTINUE;
                    }
                    throw e;
                }

                @Override
                public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null && !(e instanceof java.nio.file.NoSuchFileException)) {
                        throw e;
                    }
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new StorageException("cannot list " + describe() + ": " + e.getMessage(), e);
        }
        keys.sort(null);
        return keys;
    }

    @Override
    public void delete(String key) {
        deleteIfExists(resolve(key), key);
        deleteIfExists(root.resolve(META_DIR).resolve(key + ".properties"), key);
    }

    /** Local storage has no lifecycle of its own: the grace period has passed, so the object goes now. */
    @Override
    public void expire(String key) {
        delete(key);
    }

    private static void deleteIfExists(Path p, String key) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new StorageException("cannot delete " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return root.toUri().toString();
    }

    private Path resolve(String key) {
        if (key.isEmpty()
                || key.startsWith("/")
                || key.contains("..")
                || key.contains("\\")
                || key.startsWith(META_DIR + "/")) {
            throw new IllegalArgumentException("invalid storage key: " + key);
        }
        return root.resolve(key);
    }

    private void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null && !parent.equals(root.getParent())) {
            createDirectories(parent);
        }
        try {
            Files.createDirectory(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        } catch (FileAlreadyExistsException e) {
            return;
        }
        // a new directory entry is only durable once its parent is synced
        if (parent != null) {
            fsyncDirectory(parent);
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
