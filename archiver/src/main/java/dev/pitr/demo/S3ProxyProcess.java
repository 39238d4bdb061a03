package dev.pitr.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** S3Proxy with a filesystem backend and no authentication, as the S3 API the storage benchmark ships into. */
final class S3ProxyProcess {

  private S3ProxyProcess() {}

  static Process start(Path jar, Path dir, int port) throws IOException, InterruptedException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "no S3Proxy jar at " + jar + "; build with 'mvn -B -DskipTests package' (it copies it to"
              + " aws/target/test-servers), or pass --endpoint of an S3 API");
    }
    Files.createDirectories(dir.resolve("data"));
    Path props = dir.resolve("s3proxy.conf");
    Files.writeString(
        props,
        "s3proxy.endpoint=http://127.0.0.1:" + port + "\ns3proxy.authorization=none\n"
            + "jclouds.provider=filesystem\njclouds.filesystem.basedir=" + dir.resolve("data") + "\n");
    ProcessBuilder pb =
        new ProcessBuilder(List.of("java", "-jar", jar.toString(), "--properties", props.toString()))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("s3proxy.log").toFile());
    pb.environment().put("LOG_LEVEL", "warn");
    Process p = pb.start();
    for (int i = 0; i < 600; i++) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return p;
      } catch (IOException e) {
        if (!p.isAlive()) {
          throw new IllegalStateException("S3Proxy exited: " + Files.readString(dir.resolve("s3proxy.log")));
        }
        Thread.sleep(100);
      }
    }
    p.destroyForcibly();
    throw new IllegalStateException("S3Proxy did not start on port " + port);
  }
}
