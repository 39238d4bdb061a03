package dev.pitr.wal;

import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One shipper per spool. The OS releases the lock when its holder dies, even by SIGKILL, so a restarted capture
 * never waits on a stale lock.
 */
public final class SpoolLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private SpoolLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    public static SpoolLock acquire(Path spool) {
        try {
            dev.pitr.storage.OwnerOnly.directory(spool);
            FileChannel ch =
                    FileChannel.open(spool.resolve(".pitr.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l = ch.tryLock();
            if (l == null) {
                ch.close();
                throw new PitrException(
                        ErrorCode.CHECK_FAILED,
                        "another pitr process is shipping from " + spool,
                        "'pitr wal capture' ships its own spool; stop it before running 'pitr wal sync'");
            }
            return new SpoolLock(ch, l);
        } catch (IOException e) {
            throw new PitrException(
                    ErrorCode.LOCAL_IO,
                    "cannot use spool " + spool + ": " + e.getMessage(),
                    "check wal.spool_dir and its permissions",
                    e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the lock goes with the process anyway
        }
    }
}
