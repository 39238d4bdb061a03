package dev.pitr.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.cli.Cli;
import dev.pitr.config.Repository;
import dev.pitr.postgres.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A second real cluster's WAL pushed into the first one's repository (an archive_command copied to the wrong host): it
 * is refused with its own code, nothing of it is stored, and the cluster's own segment of that name still archives.
 */
class WrongClusterIT {

    @Test
    void anotherClustersSegmentIsRefusedAndNothingOfItIsStored() throws Exception {
        try (ArchiveFixture fx = new ArchiveFixture("wrong-cluster");
                LocalCluster other = LocalCluster.init(fx.tools, fx.base.resolve("other"), LocalCluster.freePort())
                        .start()) {
            fx.ok("check", "--fix");
            fx.startCapture();
            fx.switchAndAwaitArchived();
            String name = other.queryOne("SELECT pg_walfile_name(pg_current_wal_lsn())");
            String before = recorded(fx, name);
            other.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS x");
            other.queryOne("SELECT pg_switch_wal()");
            Path foreign = Files.copy(other.dataDir().resolve("pg_wal").resolve(name), fx.base.resolve(name));
            Cli.Run r = fx.cli("wal", "push", foreign.toString());
            assertEquals(19, r.exitCode(), r.toString());
            assertTrue(r.err().contains("wrong-cluster") && r.err().contains("nothing was stored"), r.toString());
            assertEquals(before, recorded(fx, name));
        }
    }

    /** The checksum the catalog records for {@code name}, if it has it: the fixture's own cluster may have archived it. */
    private static String recorded(ArchiveFixture fx, String name) {
        try (Repository repo = fx.repository()) {
            return repo.catalog()
                    .segment(WalFileName.of(name))
                    .map(s -> s.checksum() + " " + s.storageKey())
                    .orElse("none");
        }
    }
}
