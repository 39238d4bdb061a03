package dev.pitr.aws;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.net.URI;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * A real DynamoDB engine for tests: DynamoDB Local, in memory, listening on a free port of 127.0.0.1 so that pitr
 * processes started by a test reach it too. Always close it: its threads keep the JVM alive.
 */
public final class DynamoDbLocalServer implements AutoCloseable {

    private final DynamoDBProxyServer server;
    private final int port;

    private DynamoDbLocalServer(DynamoDBProxyServer server, int port) {
        this.server = server;
        this.port = port;
    }

    public static DynamoDbLocalServer start() {
        if (System.getProperty("sqlite4java.library.path") == null) {
            System.setProperty("sqlite4java.library.path", "target/test-servers/native");
        }
        try {
            int port = S3ProxyServer.freePort();
            DynamoDBProxyServer s = ServerRunner.createServerFromCommandLineArgs(
                    new String[] {"-inMemory", "-port", Integer.toString(port)});
            s.start();
            return new DynamoDbLocalServer(s, port);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start DynamoDB Local: " + e.getMessage(), e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public AwsClients.Settings settings() {
        return AwsClients.Settings.of("us-east-1", endpoint()).withCredentials("pitrtest", "pitrtestsecret");
    }

    public DynamoDbClient client() {
        return AwsClients.dynamoDb(settings());
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop DynamoDB Local", e);
        }
    }
}
