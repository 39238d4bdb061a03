package dev.pitr.restore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** Lays a base backup's tar down in a data directory, refusing entries that would land outside it. */
final class TarExtractor {

  private TarExtractor() {}

  /** Extracts every entry; returns the number of files written. */
  static long extract(InputStream in, Path dir) throws IOException {
    TarArchiveInputStream tar = new TarArchiveInputStream(in);
    long files = 0;
    TarArchiveEntry e;
    while ((e = tar.getNextEntry()) != null) {
      Path out = dir.resolve(e.getName()).normalize();
      if (!out.startsWith(dir)) {
        throw new IOException("tar entry escapes the target directory: " + e.getName());
      }
      if (e.isDirectory()) {
        Files.createDirectories(out);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwx------"));
      } else if (e.isSymbolicLink()) {
        Files.createDirectories(out.getParent());
        Files.createSymbolicLink(out, Paths.get(e.getLinkName()));
      } else if (e.isFile()) {
        Files.createDirectories(out.getParent());
        Files.copy(tar, out);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-------"));
        files++;
      }
    }
    byte[] buf = new byte[1 << 16];
    while (in.read(buf) > 0) {
      // read to the end so the checksum covers the whole object
    }
    return files;
  }
}
