package dev.pitr.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pitr.catalog.DrillRecord;

/** A drill's record as {@code pitr drill --json} and {@code pitr status --json} ({@code last_drill}) print it. */
public final class DrillReports {

    private DrillReports() {}

    /** Its id, outcome, times, target, snapshot, RTO per phase in seconds, replay rate, checks and failure. */
    public static ObjectNode json(DrillRecord d) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("id", d.id());
        n.put("passed", d.passed());
        n.put("started_at", d.startedAt().toString());
        n.put("finished_at", d.finishedAt().toString());
        n.put("target", d.target());
        n.put("snapshot", d.snapshotId());
        if (d.timing() != null) {
            ObjectNode t = n.putObject("rto_seconds");
            t.put("lay_down", d.timing().layDownMillis() / 1000.0);
            t.put("replay", d.timing().replayMillis() / 1000.0);
            t.put("total", d.timing().totalMillis() / 1000.0);
            n.put("replayed_bytes", d.timing().replayBytes());
            d.timing().replayBytesPerSecond().ifPresent(r -> n.put("replay_bytes_per_second", Math.round(r)));
        }
        var checks = n.putArray("checks");
        d.checks()
                .forEach(c -> checks.addObject()
                        .put("name", c.name())
                        .put("passed", c.passed())
                        .put("detail", c.detail()));
        n.put("error", d.error());
        n.put("cause", d.cause());
        return n;
    }
}
