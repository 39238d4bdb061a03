package dev.pitr.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.postgres.LocalCluster;
import dev.pitr.postgres.PostgresServers;
import dev.pitr.postgres.Processes;
import dev.pitr.wal.Lsn;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The block-level form on a real table of each version: after 3 % of its rows are updated in one stretch, the pages
 * changed since a point (as a parent snapshot's start) are few, and the copy taken at that point with them laid on is
 * the table's file byte for byte. {@code wal_log_hints} is on, as with data checksums, so that a page whose hint bits
 * change gets a new LSN.
 */
class ChangedBlocksIT {

    @ParameterizedTest(name = "PostgreSQL {0}")
    @ValueSource(ints = {13, 15, 17, 18})
    void theChangedPagesRebuildTheTableFromTheParentsCopy(int major) throws Exception {
        Path base = Files.createTempDirectory(Path.of("/tmp"), "pitr-it-blocks-" + major + "-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        LocalCluster pg =
                LocalCluster.init(PostgresServers.tools(major), base.resolve("data"), LocalCluster.freePort());
        Files.writeString(
                pg.dataDir().resolve("postgresql.conf"),
                "wal_log_hints = on\nautovacuum = off\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        pg.start();
        try {
            pg.execute("CREATE TABLE t (id int PRIMARY KEY, v int, pad text)");
            pg.execute("INSERT INTO t SELECT i, 0, repeat('x', 100) FROM generate_series(1, 20000) i");
            pg.execute("SELECT count(*) FROM t");
            pg.execute("CHECKPOINT");
            Path file = pg.dataDir().resolve(pg.queryOne("SELECT pg_relation_filepath('t')"));
            byte[] parent = Files.readAllBytes(file);
            Lsn since = Lsn.parse(pg.queryOne("SELECT pg_current_wal_insert_lsn()"));

            pg.execute("UPDATE t SET v = v + 1 WHERE id <= 600");
            pg.execute("SELECT count(*) FROM t WHERE v > 0");
            pg.execute("CHECKPOINT");
            byte[] now = Files.readAllBytes(file);

            ByteArrayOutputStream form = new ByteArrayOutputStream();
            ChangedBlocks.Kept kept = ChangedBlocks.write(new ByteArrayInputStream(now), now.length, since, form);
            System.out.printf(
                    "PostgreSQL %d: %d of %d blocks changed, %d of %d bytes stored%n",
                    major, kept.keptBlocks(), kept.fileBlocks(), kept.bytesWritten(), now.length);
            assertTrue(kept.keptBlocks() > 0 && kept.keptBlocks() * 10 < kept.fileBlocks(), kept.toString());

            Path rebuilt = base.resolve("rebuilt");
            Files.write(rebuilt, parent);
            try (FileChannel ch = FileChannel.open(rebuilt, StandardOpenOption.WRITE)) {
                ChangedBlocks.apply(new ByteArrayInputStream(form.toByteArray()), ch);
            }
            assertArrayEquals(now, Files.readAllBytes(rebuilt), "the parent's copy with the changed pages laid on");
        } finally {
            pg.close();
            Processes.run(List.of("rm", "-rf", base.toString()));
        }
    }
}
