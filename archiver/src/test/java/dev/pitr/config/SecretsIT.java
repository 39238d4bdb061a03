package dev.pitr.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pitr.ArchiveFixture;
import dev.pitr.aws.NeedsAws;
import dev.pitr.cli.Cli;
import dev.pitr.error.ErrorCode;
import dev.pitr.postgres.Processes;
import dev.pitr.storage.OwnerOnly;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

/**
 * The configured secrets (the primary's password, the encryption passphrase, the S3 secret key, the dashboard token)
 * appear nowhere an operator or another user could read them: not in any command's output (plain or {@code --json}),
 * not in capture's log or the servers' logs with every statement logged, not in the catalog, not in any file pitr
 * writes apart from the owner-only ones meant to hold them, and not on any process's command line while capture,
 * a snapshot and a restore run. The primary takes pitr's role only over TLS, checked with {@code verify-full}.
 */
@NeedsAws
class SecretsIT {

    static final String PASSWORD = "pg-" + UUID.randomUUID();
    static final String PASSPHRASE = "pp-" + UUID.randomUUID();
    static final String TOKEN = "dt-" + UUID.randomUUID();
    /** The four secrets, the S3 secret key being whichever the test services take. */
    static List<String> SECRETS;

    static ArchiveFixture fx;
    static Path tls;
    static final List<Cli.Run> outputs = new ArrayList<>();
    static final Set<String> leakedCommandLines = ConcurrentHashMap.newKeySet();
    static final AtomicBoolean sampling = new AtomicBoolean(true);
    static Thread sampler;

    @BeforeAll
    static void setUp() throws Exception {
        fx = new ArchiveFixture("secrets", ArchiveFixture.Backend.AWS);
        SECRETS = List.of(PASSWORD, PASSPHRASE, TOKEN, fx.aws().secretKey());
        tls = Files.createDirectories(fx.base.resolve("tls"));
        certificates();
        Path data = fx.primary.dataDir();
        for (String f : List.of("server.crt", "server.key")) {
            Files.copy(tls.resolve(f), data.resolve(f));
            Processes.run(List.of("chown", "postgres:", data.resolve(f).toString()));
            Processes.run(List.of("chmod", "600", data.resolve(f).toString()));
        }
        // pitr's role only over TLS with a password; the fixture's own connections stay trusted
        Files.writeString(data.resolve("pg_hba.conf"), """
        hostssl all pitr 127.0.0.1/32 scram-sha-256
        hostssl replication pitr 127.0.0.1/32 scram-sha-256
        host all pitr 127.0.0.1/32 reject
        host replication pitr 127.0.0.1/32 reject
        host all postgres 127.0.0.1/32 trust
        host replication postgres 127.0.0.1/32 trust
        """);
        Files.writeString(
                data.resolve("postgresql.conf"),
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
                StandardOpenOption.APPEND);
        fx.primary.stop();
        fx.primary.start();
        // 13 still hashes new passwords with md5 by default, which a scram-sha-256 line refuses
        fx.primary.execute("SET password_encryption = 'scram-sha-256'; CREATE ROLE pitr SUPERUSER REPLICATION LOGIN"
                + " PASSWORD '" + PASSWORD + "'");
        // from here on the server logs every statement and connection
        fx.primary.execute("ALTER SYSTEM SET log_statement = 'all'");
        fx.primary.execute("ALTER SYSTEM SET log_connections = on");
        fx.primary.execute("ALTER SYSTEM SET log_min_messages = 'info'");
        fx.primary.queryOne("SELECT pg_reload_conf()");

        String yaml = Files.readString(fx.configFile)
                .replace(
                        "  user: postgres\n",
                        "  user: pitr\n  password: '" + PASSWORD
                                + "'\n  sslmode: verify-full\n  sslrootcert: tls/ca.crt\n");
        Files.writeString(
                fx.configFile,
                yaml + "encryption:\n  mode: passphrase\n  passphrase: '" + PASSPHRASE + "'\n"
                        + "dashboard:\n  token: '" + TOKEN + "'\n");
        sampler = new Thread(SecretsIT::sampleCommandLines, "cmdline-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    @AfterAll
    static void tearDown() throws Exception {
        sampling.set(false);
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void noSecretIsInAnyOutputLogCatalogFileOrCommandLine() throws Exception {
        outputs.add(fx.ok("check", "--fix"));
        fx.startCapture();
        fx.primary.execute("CREATE TABLE marker (id int PRIMARY KEY, batch text)");
        ArchiveFixture.insertMarkers(fx.primary, 1, 10, "a");
        fx.switchAndAwaitArchived();
        outputs.add(fx.ok("snapshot", "create"));
        ArchiveFixture.insertMarkers(fx.primary, 11, 20, "b");
        fx.switchAndAwaitArchived();

        // every pitr connection to the primary, capture's stream among them, is TLS
        String plain = fx.primary.queryOne(
                "SELECT count(*) FILTER (WHERE NOT s.ssl) || '/' || count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s"
                        + " USING (pid) WHERE a.usename = 'pitr'");
        assertTrue(plain.startsWith("0/") && !plain.equals("0/0"), "non-TLS/all pitr connections: " + plain);

        for (String[] args : List.of(
                new String[] {"status"},
                new String[] {"status", "--json"},
                new String[] {"restore-window"},
                new String[] {"restore-window", "--json"},
                new String[] {"snapshot", "list", "--json"},
                new String[] {"retention", "apply", "--dry-run", "--json"},
                new String[] {"keys", "check"})) {
            outputs.add(fx.ok(args));
        }
        assertEquals("20:1-20", fx.restoreMarkers("--latest"));
        fx.stopCapture();

        // a wrong CA is refused under verify-full, with the primary's own exit code, and says nothing secret either
        Files.writeString(fx.base.resolve("other-ca.crt"), selfSigned("not-the-ca"));
        Cli.Run refused = fx.cliWithEnv(
                Map.of(
                        "PITR_PRIMARY_SSLROOTCERT",
                        fx.base.resolve("other-ca.crt").toString()),
                "status",
                "--json");
        outputs.add(refused);
        assertTrue(refused.out().contains("the primary is not reachable"), refused.toString());
        Cli.Run badMode = fx.cliWithEnv(Map.of("PITR_PRIMARY_SSLMODE", "verify-everything"), "check");
        outputs.add(badMode);
        assertEquals(ErrorCode.CONFIG_INVALID.exitCode(), badMode.exitCode(), badMode.toString());
        sampling.set(false);
        sampler.join();

        List<String> leaks = new ArrayList<>();
        for (Cli.Run r : outputs) {
            for (String s : SECRETS) {
                if (r.out().contains(s) || r.err().contains(s)) {
                    leaks.add("output of a command holds " + name(s) + ":\n" + r);
                }
            }
        }
        leakedCommandLines.forEach(c -> leaks.add("a command line holds a secret: " + c));
        try (var ddb = fx.aws().dynamoDb()) {
            String items = ddb.scan(
                            ScanRequest.builder().tableName(fx.aws().table()).build())
                    .items()
                    .toString();
            assertTrue(items.contains("wal#"), "the catalog scan found no segments: " + items);
            SECRETS.stream().filter(items::contains).forEach(s -> leaks.add("the catalog holds " + name(s)));
        }
        leaks.addAll(filesHoldingSecrets());
        assertTrue(leaks.isEmpty(), String.join("\n", leaks));
        assertTrue(
                Files.readString(fx.primary.dataDir().resolve("server.log")).contains("user=pitr"),
                "the primary did not log pitr's connections");
    }

    /**
     * Every file under the fixture's directory: logs, the spool, the data directories, the restored server. The
     * configuration file holds the secrets by design, and so do the owner-only files a restore writes for
     * restore_command; those must be mode 0600 in an 0700 directory.
     */
    private static List<String> filesHoldingSecrets() throws IOException {
        List<String> leaks = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(fx.base)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String rel = fx.base.relativize(f).toString();
                if (f.equals(fx.configFile) || rel.endsWith(".jar")) {
                    continue;
                }
                if (rel.endsWith("/pitr-restore.yaml") || rel.contains("/pitr-keys/")) {
                    if (!OwnerOnly.isOwnerOnly(f) || !OwnerOnly.isOwnerOnly(f.getParent())) {
                        leaks.add(rel + " holds secrets by design but others may read it");
                    }
                    continue;
                }
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(f);
                } catch (IOException e) {
                    continue; // gone since the walk
                }
                scanned++;
                String text = new String(bytes, StandardCharsets.ISO_8859_1);
                for (String s : SECRETS) {
                    if (text.contains(s)) {
                        leaks.add(rel + " holds " + name(s));
                    }
                }
            }
        }
        assertTrue(scanned > 100, "only " + scanned + " files scanned");
        assertTrue(Files.exists(fx.base.resolve("capture.log")));
        return leaks;
    }

    /** Reads every process's command line, about every 20 ms, while the test runs. */
    private static void sampleCommandLines() {
        while (sampling.get()) {
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+"))
                        .toList()) {
                    try {
                        String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                                .replace('\0', ' ');
                        if (SECRETS.stream().anyMatch(cmd::contains)) {
                            leakedCommandLines.add(cmd);
                        }
                    } catch (IOException e) {
                        // the process ended
                    }
                }
                Thread.sleep(20);
            } catch (IOException e) {
                // /proc changed while listing; try again
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static String name(String secret) {
        return secret.equals(PASSWORD)
                ? "the primary's password"
                : secret.equals(PASSPHRASE)
                        ? "the passphrase"
                        : secret.equals(TOKEN) ? "the dashboard token" : "the S3 secret key";
    }

    /** A CA and a server certificate it signs for 127.0.0.1, made with openssl. */
    private static void certificates() {
        openssl(
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=pitr test CA");
        openssl(
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1");
        try {
            Files.writeString(tls.resolve("san.ext"), "subjectAltName = IP:127.0.0.1\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        openssl(
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "2",
                "-extfile",
                "san.ext");
    }

    private static String selfSigned(String cn) throws IOException {
        openssl(
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                cn + ".key",
                "-out",
                cn + ".crt",
                "-days",
                "2",
                "-subj",
                "/CN=" + cn);
        return Files.readString(tls.resolve(cn + ".crt"));
    }

    private static void openssl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "cd \"$0\" && exec openssl \"$@\"", tls.toString()));
        cmd.addAll(List.of(args));
        Processes.Result r = Processes.run(cmd);
        assertTrue(r.ok(), String.join(" ", args) + ": " + r.output());
    }
}
