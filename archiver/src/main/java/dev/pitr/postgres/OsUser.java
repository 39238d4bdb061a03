package dev.pitr.postgres;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** PostgreSQL refuses to run as root; when we are root, its programs run as the configured OS user instead. */
public final class OsUser {

    private OsUser() {}

    /** This host's name, for the owner of a lease or a scheduled run; {@code unknown-host} when it has none. */
    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** {@code command} as {@code user} when we are root, unchanged otherwise. */
    public static List<String> as(String user, List<String> command) {
        if (!isRoot()) {
            return command;
        }
        List<String> out = new ArrayList<>(List.of("runuser", "-u", user, "--"));
        out.addAll(command);
        return out;
    }
}
