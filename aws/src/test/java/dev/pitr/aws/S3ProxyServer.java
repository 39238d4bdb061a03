package dev.pitr.aws;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
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

    private S3ProxyServer(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static S3ProxyServer start() {
        return start(Path.of(System.getProperty("s3proxy.jar", "target/test-servers/s3proxy.jar")));
    }

    /** S3Proxy run from {@code jar} (the benchmarks name the one the build copied). */
    public static S3ProxyServer start(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    "no S3Proxy jar at " + jar + "; 'mvn -B -DskipTests package' copies it there");
        }
        try {
            Path dir = Files.createTempDirectory("pitr-s3proxy-");
            Files.createDirectories(dir.resolve("data"));
            int port = freePort();
            Path props = dir.resolve("s3proxy.conf");
            Files.writeString(
                    props,
                    String.join(
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
            S3ProxyServer server = new S3ProxyServer(p, port, dir);
            server.awaitListening();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
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
