package dev.pitr.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The head of a data directory's {@code global/pg_control}, read without a server, a login or {@code pg_controldata}:
 * {@code ControlFileData} begins, in every version from 9.4 to 18, with the system identifier (uint64), the control
 * file's and the catalog's version (uint32 each) and the cluster's state (an enum), in the host's byte order.
 */
public record ControlFile(String systemIdentifier, int controlVersion, State state) {

    /** {@code DBState}, in its order. */
    public enum State {
        STARTING_UP("starting up"),
        SHUT_DOWN("shut down"),
        SHUT_DOWN_IN_RECOVERY("shut down in recovery"),
        SHUTTING_DOWN("shutting down"),
        IN_CRASH_RECOVERY("in crash recovery"),
        IN_ARCHIVE_RECOVERY("in archive recovery"),
        IN_PRODUCTION("in production");

        private final String text;

        State(String text) {
            this.text = text;
        }

        /** As {@code pg_controldata} says it. */
        public String text() {
            return text;
        }
    }

    /**
     * Reads {@code dir/global/pg_control}, through no link.
     *
     * @throws IOException when it cannot be read or is not a control file this code knows
     */
    public static ControlFile read(Path dir) throws IOException {
        byte[] head = new byte[20];
        try (InputStream in = Files.newInputStream(dir.resolve("global/pg_control"), LinkOption.NOFOLLOW_LINKS)) {
            if (in.readNBytes(head, 0, head.length) != head.length) {
                throw new IOException("global/pg_control is shorter than its header");
            }
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.nativeOrder());
        String id = Long.toUnsignedString(b.getLong(0));
        int version = b.getInt(8);
        int state = b.getInt(16);
        if (version < 900 || version > 9999 || state < 0 || state >= State.values().length) {
            throw new IOException("global/pg_control is not a control file of PostgreSQL 9.4 to 18 (version " + version
                    + ", state " + state + ")");
        }
        return new ControlFile(id, version, State.values()[state]);
    }
}
