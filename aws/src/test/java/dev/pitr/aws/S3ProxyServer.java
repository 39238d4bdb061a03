package dev.pitr.aws;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server for tests: S3Proxy with its filesystem backend, run as its own process on 127.0.0.1 from the
 * jar the build copies into {@code target/test-servers}. It checks AWS signatures against one fixed key pair, so tests
 * can also present wrong credentials.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String ACCESS_KEY = "pitrtest";
    public static final String SECRET_KEY = "pitrtestsecret";
    public static final String REGION = "us-east-1";

    private final Process process;
    private final int port;
    private final Path dir;
    private final int securePort;

    private S3ProxyServer(Process process, int port, Path dir, int securePort) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.securePort = securePort;
    }

    public static S3ProxyServer start() {
        return start(Path.of(System.getProperty("s3proxy.jar", "target/test-servers/s3proxy.jar")));
    }

    /** S3Proxy run from {@code jar} (the benchmarks name the one the build copied). */
    public static S3ProxyServer start(Path jar) {
        return start(jar, false);
    }

    /**
     * S3Proxy run from {@code jar}, with {@code tls} also on an HTTPS endpoint ({@link #secureEndpoint}) whose
     * certificate, for 127.0.0.1 and made for this run, is in {@link #keystore} (password {@value #KEYSTORE_PASSWORD}):
     * for clients that speak S3 over TLS only.
     */
    public static S3ProxyServer start(Path jar, boolean tls) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    "no S3Proxy jar at " + jar + "; 'mvn -B -DskipTests package' copies it there");
        }
        try {
            Path dir = Files.createTempDirectory("pitr-s3proxy-");
            Files.createDirectories(dir.resolve("data"));
            int port = freePort();
            int securePort = tls ? freePort() : -1;
            String secure = "";
            if (tls) {
                Path ks = dir.resolve("keystore.jks");
                Process keytool = new ProcessBuilder(List.of(
                                Path.of(System.getProperty("java.home"), "bin", "keytool")
                                        .toString(),
                                "-genkeypair",
                                "-alias",
                                "s3proxy",
                                "-keyalg",
                                "RSA",
                                "-keysize",
                                "2048",
                                "-validity",
                                "7",
                                "-dname",
                                "CN=127.0.0.1",
                                "-ext",
                                "SAN=ip:127.0.0.1",
                                "-storetype",
                                "JKS",
                                "-keystore",
                                ks.toString(),
                                "-storepass",
                                KEYSTORE_PASSWORD,
                                "-keypass",
                                KEYSTORE_PASSWORD))
                        .redirectErrorStream(true)
                        .start();
                String said = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (keytool.waitFor() != 0) {
                    throw new IOException("keytool failed: " + said);
                }
                secure = "s3proxy.secure-endpoint=https://127.0.0.1:" + securePort + "\ns3proxy.keystore-path=" + ks
                        + "\ns3proxy.keystore-password=" + KEYSTORE_PASSWORD + "\n";
            }
            Path props = dir.resolve("s3proxy.conf");
            Files.writeString(
                    props,
                    secure
                            + String.join(
                                    "\n",
                                    "s3proxy.endpoint=http://127.0.0.1:" + port,
                                    "s3proxy.authorization=aws-v2-or-v4",
                                    "s3proxy.identity=" + ACCESS_KEY,
                                    "s3proxy.credential=" + SECRET_KEY,
                                    "jclouds.provider=filesystem",
                                    "jclouds.filesystem.basedir=" + dir.resolve("data"),
                                    ""));
            ProcessBuilder pb = new ProcessBuilder(List.of(
                            "java",
                            "-Xmx512m",
                            "-DLOG_LEVEL=warn",
                            "-jar",
                            jar.toString(),
                            "--properties",
                            props.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("s3proxy.log").toFile());
            // S3Proxy logs wire bytes at its default level
            pb.environment().put("LOG_LEVEL", "warn");
            Process p = pb.start();
            S3ProxyServer server = new S3ProxyServer(p, port, dir, securePort);
            server.awaitListening();
            return server;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making S3Proxy's certificate", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The password of {@link #keystore}. */
    public static final String KEYSTORE_PASSWORD = "s3proxy-test";

    /** The HTTPS endpoint of a server started with TLS. */
    public URI secureEndpoint() {
        if (securePort < 0) {
            throw new IllegalStateException("S3Proxy was started without TLS");
        }
        return URI.create("https://127.0.0.1:" + securePort);
    }

    /** The keystore holding the HTTPS endpoint's certificate: a trust store for its clients. */
    public Path keystore() {
        return dir.resolve("keystore.jks");
    }

    public int port() {
        return port;
    }

    public AwsClients.Settings settings() {
        return AwsClients.Settings.of(REGION, endpoint()).withCredentials(ACCESS_KEY, SECRET_KEY);
    }

    public S3Client client() {
        return AwsClients.s3(settings());
    }

    public void createBucket(String bucket) {
        try (S3Client s3 = client()) {
            s3.createBucket(r -> r.bucket(bucket));
        }
    }

    private void awaitListening() throws IOException {
        for (int i = 0; i < 600; i++) {
            if (!process.isAlive()) {
                throw new IOException("S3Proxy exited: " + Files.readString(dir.resolve("s3proxy.log")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException e) {
                sleep(100);
            }
        }
        throw new IOException(
                "S3Proxy did not listen on " + port + ": " + Files.readString(dir.resolve("s3proxy.log")));
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
