package dev.pitr.restore;

import dev.pitr.config.Config;
import dev.pitr.config.Key;
import dev.pitr.error.ErrorCode;
import dev.pitr.error.PitrException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * What a restore host's agent accepts from an execution's input, from its own configuration: a target directory
 * given as an absolute path under {@code agent.restore_root} (also once symbolic links are followed), and {@code
 * force} only where {@code agent.allow_force} is true. Whoever may start an execution names the directory; the agent
 * empties it and, run as root, hands it to the server's user, so the bounds are the host's, not the request's. A
 * request outside them is refused before anything is touched.
 *
 * @param root the directory restores may go under; null when the configuration sets none, and the agent refuses all
 * @param allowForce whether a request may ask to empty a non-empty directory
 */
public record AgentLimits(Path root, boolean allowForce) {

    public static AgentLimits from(Config config) {
        return new AgentLimits(
                // relative to the configuration file, as every path setting
                config.get(Key.AGENT_RESTORE_ROOT)
                        .map(x -> config.requirePath(Key.AGENT_RESTORE_ROOT))
                        .orElse(null),
                config.requireBoolean(Key.AGENT_ALLOW_FORCE));
    }

    /** Throws {@link ErrorCode#TARGET_DIR_REFUSED} unless a restore into {@code dir} with {@code force} is allowed. */
    public void check(Path dir, boolean force) {
        if (root == null) {
            throw refused(
                    "this agent has no agent.restore_root, so it restores into no directory",
                    "set agent.restore_root in the agent's configuration to the directory restores may go under");
        }
        if (dir == null || !dir.isAbsolute()) {
            throw refused(
                    "the target directory '" + dir + "' is not an absolute path",
                    "name the directory in full, under " + root);
        }
        Path wanted = dir.normalize();
        Path top = root.toAbsolutePath().normalize();
        if (!wanted.startsWith(top) || wanted.equals(top)) {
            throw refused(
                    "the target directory " + wanted + " is not under agent.restore_root (" + top + ")",
                    "restore into a directory under " + top + ", or change agent.restore_root on the restore host");
        }
        try {
            Path realTop = top.toRealPath();
            Path existing = wanted;
            while (!Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            Path real = existing.toRealPath();
            // a directory yet to be made under the root is fine; one that exists must be a directory of its own
            if (!real.startsWith(realTop) || (existing.equals(wanted) && real.equals(realTop))) {
                throw refused(
                        "the target directory " + wanted + " leads outside agent.restore_root (" + top
                                + ") through a symbolic link",
                        "restore into a directory under " + top + " that no link leads out of");
            }
        } catch (IOException e) {
            throw refused(
                    "cannot resolve agent.restore_root " + top + " or " + wanted + ": " + e.getMessage(),
                    "create agent.restore_root on the restore host");
        }
        if (force && !allowForce) {
            throw refused(
                    "the request asks to empty " + wanted + " (force), which this agent does not allow",
                    "empty the directory on the restore host, or set agent.allow_force: true there");
        }
    }

    private static PitrException refused(String message, String hint) {
        return new PitrException(ErrorCode.TARGET_DIR_REFUSED, message, hint);
    }
}
