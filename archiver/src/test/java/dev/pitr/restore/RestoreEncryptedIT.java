package dev.pitr.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.codec.Checksum;
import dev.pitr.codec.ObjectCodec;
import dev.pitr.codec.Sha256;
import dev.pitr.config.Repository;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Every restore test of {@link RestoreIT} with encryption on, once per key mode (KMS is covered by its adapter tests;
 * {@link RestoreEncryptedOnAwsIT} runs the key file mode on S3 and DynamoDB).
 * Each mode also checks that what it stored is encrypted: no object body is a plain zstd frame, every envelope names
 * the configured key, and the catalog records it.
 */
class RestoreEncryptedIT {

    abstract static class Encrypted extends RestoreIT {
        abstract ArchiveFixture.Encryption encryption();

        @Override
        ArchiveFixture fixture() {
            return new ArchiveFixture(
                    "restore-" + encryption().name().toLowerCase(Locale.ROOT), backend(), encryption());
        }

        @Test
        void everyObjectIsEncryptedWithTheConfiguredKey() throws Exception {
            try (Repository repo = fx.repository()) {
                var segments = repo.catalog().allSegments();
                assertFalse(segments.isEmpty());
                String keyId = segments.get(0).keyId();
                assertNotNull(keyId);
                for (var s : segments) {
                    assertEquals(keyId, s.keyId(), s.name().fileName());
                    assertEquals(
                            keyId,
                            repo.storage()
                                    .metadata(ObjectCodec.envelopeKey(s.storageKey()))
                                    .get(ObjectCodec.KEY_ID));
                }
                for (var snap : repo.catalog().snapshots()) {
                    assertEquals(keyId, snap.keyId());
                }
                List<String> bodies = new java.util.ArrayList<>(repo.storage().list("wal/"));
                bodies.addAll(repo.storage().list("snapshots/"));
                assertFalse(bodies.isEmpty());
                for (String key : bodies) {
                    assertEquals(
                            ObjectCodec.OPENPGP,
                            repo.storage().metadata(key).get(ObjectCodec.ENCRYPTION),
                            key + " is not encrypted");
                }
            }
        }

        /** The emergency path: docs/recover-by-hand.sh with gpg, zstd and argon2, and no pitr. */
        @Test
        void theRecipeRecoversASegmentAndTheSnapshotWithStandardTools() throws Exception {
            org.junit.jupiter.api.Assumptions.assumeTrue(
                    backend() == ArchiveFixture.Backend.LOCAL, "the recipe reads a local copy");
            String[] key = switch (encryption()) {
                case KEY_FILE -> new String[] {"key-file", "keys/kek.hex"};
                case PASSPHRASE -> new String[] {"passphrase-file", "keys/passphrase"};
                case PUBLIC_KEY -> new String[] {"secret-key", "keys/secret.asc"};
                default -> throw new IllegalStateException();
            };
            try (Repository repo = fx.repository()) {
                var seg = repo.catalog().allSegments().get(1);
                var snap = repo.catalog().snapshots().get(0);
                Path segOut = recipe(seg.storageKey(), key);
                assertEquals(seg.checksum(), Checksum.of(Files.readAllBytes(segOut), seg.checksum()));
                // the index of the snapshot's parts, then each part: a tar of its own; or, compressed on the server,
                // the one object the tar is
                List<String[]> tars = new java.util.ArrayList<>();
                if (dev.pitr.catalog.SnapshotParts.isIndex(snap.storageKey())) {
                    Path index = recipe(snap.storageKey(), key);
                    byte[] text = Files.readAllBytes(index);
                    assertEquals(snap.sha256(), Sha256.of(text));
                    for (var part : dev.pitr.catalog.SnapshotParts.parse(text, snap.storageKey())
                            .parts()) {
                        tars.add(new String[] {part.storageKey(), part.checksum()});
                    }
                } else {
                    tars.add(new String[] {snap.storageKey(), snap.sha256()});
                }
                StringBuilder listed = new StringBuilder();
                for (String[] t : tars) {
                    Path tar = recipe(t[0], key);
                    assertEquals(t[1], Checksum.of(Files.readAllBytes(tar), t[1]));
                    var list = new ProcessBuilder("tar", "-tf", tar.toString())
                            .redirectErrorStream(true)
                            .start();
                    listed.append(new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                    assertEquals(0, list.waitFor(), listed.toString());
                }
                assertTrue(listed.toString().contains("backup_label"), listed.toString());
                assertTrue(listed.toString().contains("global/pg_control"), listed.toString());
            }
        }

        private Path recipe(String object, String[] key) throws Exception {
            Path out = fx.base.resolve("by-hand-" + object.replace('/', '_'));
            Path script =
                    Path.of("..", "docs", "recover-by-hand.sh").toAbsolutePath().normalize();
            Process p = new ProcessBuilder(
                            "bash",
                            script.toString(),
                            fx.base.resolve("repo").toString(),
                            object,
                            out.toString(),
                            key[0],
                            fx.base.resolve(key[1]).toString())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), output);
            return out;
        }
    }

    @Nested
    class KeyFile extends Encrypted {
        @Override
        ArchiveFixture.Encryption encryption() {
            return ArchiveFixture.Encryption.KEY_FILE;
        }
    }

    @Nested
    class Passphrase extends Encrypted {
        @Override
        ArchiveFixture.Encryption encryption() {
            return ArchiveFixture.Encryption.PASSPHRASE;
        }
    }

    /** The archiver host holds only the public key: capture and snapshots run without the secret key. */
    @Nested
    class PublicKey extends Encrypted {
        @Override
        ArchiveFixture.Encryption encryption() {
            return ArchiveFixture.Encryption.PUBLIC_KEY;
        }

        @Test
        void theArchiverHostCannotReadWhatItWrote() throws Exception {
            String seg;
            try (Repository repo = fx.repository()) {
                seg = repo.catalog().allSegments().get(0).name().fileName();
            }
            Path out = fx.base.resolve("fetched-" + seg);
            var r = fx.cliWithEnv(java.util.Map.of(), "wal", "fetch", seg, out.toString());
            assertEquals(149, r.exitCode(), r.toString());
            assertTrue(r.err().contains("only the public key"), r.toString());
            assertFalse(Files.exists(out));
        }
    }
}
