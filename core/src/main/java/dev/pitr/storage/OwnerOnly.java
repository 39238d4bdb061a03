package dev.pitr.storage;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates the local files that hold WAL, keys or the catalog so that only their owner can read them: directories
 * 0700 and files 0600 from the moment they exist, not tightened afterwards, so there is no window in which another
 * user could open them. What already exists is left as the operator made it.
 */
public final class OwnerOnly {

    private static final FileAttribute<Set<PosixFilePermission>> DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final FileAttribute<Set<PosixFilePermission>> FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private OwnerOnly() {}

    /** Creates {@code dir} mode 0700 if it does not exist (its missing parents as usual); returns it. */
    public static Path directory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return dir;
        }
        if (dir.getParent() != null) {
            Files.createDirectories(dir.getParent());
        }
        try {
            Files.createDirectory(dir, DIR);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
        return dir;
    }

    /** Creates an empty {@code file} mode 0600 if it does not exist; returns it. */
    public static Path file(Path file) throws IOException {
        try {
            Files.createFile(file, FILE);
        } catch (FileAlreadyExistsException e) {
            // kept as it is
        }
        return file;
    }

    /** Writes {@code content} to a new file mode 0600, replacing one that is there. */
    public static Path write(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, FILE);
        Files.writeString(file, content, java.nio.charset.StandardCharsets.UTF_8);
        return file;
    }

    /** True when neither the group nor others have any access to {@code p}. */
    public static boolean isOwnerOnly(Path p) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        return perms.stream()
                .noneMatch(x -> x.name().startsWith("GROUP_") || x.name().startsWith("OTHERS_"));
    }
}
