package dev.pitr.aws;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy for tests that sits between an SDK client and a real server on 127.0.0.1 and breaks a fixed share of
 * requests: a throttling answer (S3's 503 SlowDown, or DynamoDB's throttling error), a connection reset in the middle
 * of the request or response body, or a stall longer than the client's timeout. Every connection carries one request (the proxy
 * answers {@code Connection: close}), so the choice is per request. Requests and responses are passed through byte
 * for byte otherwise, so signatures stay valid.
 */
public final class FaultProxy implements AutoCloseable {

    /** What can go wrong with one request. */
    public enum Fault {
        NONE,
        THROTTLE,
        RESET_MID_BODY,
        STALL,
        /** The connection reset at once, as while the service is down ({@link #outage}). */
        OUTAGE
    }

    /** How the service says "slow down". */
    public enum Service {
        S3,
        DYNAMODB
    }

    private final ServerSocket server;
    private final int upstreamPort;
    private final Service service;
    private final int everyNth;
    private final long stallMillis;
    private int requests;
    private int faultsGiven;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final Map<Fault, AtomicInteger> counts = new EnumMap<>(Fault.class);
    private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean enabled = true;
    private volatile boolean outage;
    private volatile String rejected;
    private final AtomicInteger rejections = new AtomicInteger();
    private java.util.Random random;
    private double rate;
    private List<Fault> kinds = List.of();

    /**
     * @param everyNth every n-th request gets a fault, the kinds taking turns (throttle, reset, stall)
     * @param stallMillis how long a stalled request hangs before its connection is closed
     */
    public FaultProxy(URI upstream, Service service, int everyNth, long stallMillis) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.upstreamPort = upstream.getPort();
        this.service = service;
        this.everyNth = everyNth;
        this.stallMillis = stallMillis;
        for (Fault f : Fault.values()) {
            counts.put(f, new AtomicInteger());
        }
        pool.execute(this::acceptLoop);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Turns fault injection off (true) or on again, e.g. for the verification at the end of a test. */
    public void passThrough(boolean on) {
        enabled = !on;
    }

    /**
     * From now on each request gets one of {@code kinds}, picked by {@code random}, with probability {@code rate}
     * instead of every n-th request; a rate of 0 passes everything through.
     */
    public synchronized void randomFaults(java.util.Random random, double rate, List<Fault> kinds) {
        this.random = random;
        this.rate = rate;
        this.kinds = List.copyOf(kinds);
    }

    /**
     * Until called with null, DynamoDB requests for {@code operation} (their {@code X-Amz-Target}, such as {@code
     * TransactWriteItems}) get the 400 {@code UnknownOperationException} of an implementation without it.
     */
    public void reject(String operation) {
        rejected = operation;
    }

    /** How many requests {@link #reject} answered. */
    public int rejections() {
        return rejections.get();
    }

    /** While on, every connection is reset before a byte of the request is read: the service is down. */
    public void outage(boolean on) {
        outage = on;
    }

    public int count(Fault f) {
        return counts.get(f).get();
    }

    public int faults() {
        return count(Fault.THROTTLE) + count(Fault.RESET_MID_BODY) + count(Fault.STALL) + count(Fault.OUTAGE);
    }

    public String summary() {
        return counts.toString();
    }

    private synchronized Fault pick() {
        if (random != null) {
            return !enabled || kinds.isEmpty() || random.nextDouble() >= rate
                    ? Fault.NONE
                    : kinds.get(random.nextInt(kinds.size()));
        }
        if (!enabled || ++requests % everyNth != 0) {
            return Fault.NONE;
        }
        return Fault.values()[1 + (faultsGiven++ % 3)];
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                pool.execute(() -> handle(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            if (outage) {
                counts.get(Fault.OUTAGE).incrementAndGet();
                client.setSoLinger(true, 0);
                return;
            }
            InputStream in = client.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            long length = contentLength(head);
            boolean expectContinue = head.toLowerCase(Locale.ROOT).contains("expect: 100-continue");
            String op = rejected;
            if (op != null
                    && head.toLowerCase(Locale.ROOT)
                            .contains("x-amz-target: dynamodb_20120810." + op.toLowerCase(Locale.ROOT))) {
                rejections.incrementAndGet();
                if (!expectContinue) {
                    in.readNBytes((int) Math.min(length, Integer.MAX_VALUE));
                }
                byte[] b = "{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"}"
                        .getBytes(StandardCharsets.UTF_8);
                client.getOutputStream()
                        .write(("HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0"
                                        + "\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
                client.getOutputStream().write(b);
                client.getOutputStream().flush();
                return;
            }
            Fault fault = pick();
            counts.get(fault).incrementAndGet();
            OutputStream out = client.getOutputStream();
            if (fault == Fault.THROTTLE) {
                if (!expectContinue) {
                    in.readNBytes((int) Math.min(length, Integer.MAX_VALUE));
                }
                out.write(throttle());
                out.flush();
                return;
            }
            if (fault == Fault.STALL) {
                Thread.sleep(stallMillis);
                return;
            }
            try (Socket up = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
                OutputStream upOut = up.getOutputStream();
                // Expect is not signed: the proxy answers 100 itself and forwards the request without it
                upOut.write(withConnectionClose(head).getBytes(StandardCharsets.ISO_8859_1));
                if (expectContinue) {
                    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
                if (fault == Fault.RESET_MID_BODY && length > 1) {
                    // an upload cut off halfway: the server never sees a complete request
                    pipeBody(in, upOut, length / 2);
                    client.setSoLinger(true, 0);
                    return;
                }
                pipeBody(in, upOut, length);
                InputStream upIn = up.getInputStream();
                String respHead = readHead(upIn);
                while (respHead != null && respHead.startsWith("HTTP/1.1 100")) {
                    respHead = readHead(upIn);
                }
                if (respHead == null) {
                    return;
                }
                out.write(withConnectionClose(respHead).getBytes(StandardCharsets.ISO_8859_1));
                long respLength = contentLength(respHead);
                if (fault == Fault.RESET_MID_BODY && respLength > 1) {
                    out.write(upIn.readNBytes((int) Math.min(respLength / 2, 1 << 20)));
                    out.flush();
                    client.setSoLinger(true, 0); // close with RST
                    return;
                }
                if (fault == Fault.RESET_MID_BODY) {
                    client.setSoLinger(true, 0); // nothing to cut in half: reset right after the head
                    return;
                }
                upIn.transferTo(out);
                out.flush();
            }
        } catch (IOException e) {
            // the client or the upstream went away; the client sees a broken connection, which is the point
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(client);
        }
    }

    private static void pipeBody(InputStream in, OutputStream upOut, long length) throws IOException {
        byte[] buf = new byte[65536];
        long left = length;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("client closed mid-body");
            }
            upOut.write(buf, 0, n);
            left -= n;
        }
        upOut.flush();
    }

    private byte[] throttle() {
        String body;
        String status;
        String type;
        if (service == Service.S3) {
            status = "503 Slow Down";
            type = "application/xml";
            body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
                    + "<Message>Please reduce your request rate.</Message></Error>";
        } else {
            status = "400 Bad Request";
            type = "application/x-amz-json-1.0";
            body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\","
                    + "\"message\":\"The level of configured provisioned throughput for the table was exceeded.\"}";
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " + b.length
                + "\r\nConnection: close\r\n\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(b);
        return out.toByteArray();
    }

    private static String withConnectionClose(String head) {
        StringBuilder sb = new StringBuilder();
        for (String line : head.split("\r\n", -1)) {
            String lower = line.toLowerCase(Locale.ROOT);
            if (line.isEmpty()
                    || lower.startsWith("connection:")
                    || lower.startsWith("keep-alive:")
                    || lower.startsWith("expect:")) {
                continue;
            }
            sb.append(line).append("\r\n");
        }
        return sb.append("Connection: close\r\n\r\n").toString();
    }

    private static long contentLength(String head) {
        for (String line : head.split("\r\n", -1)) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                return Long.parseLong(line.substring(15).trim());
            }
        }
        return 0;
    }

    /** The header block up to the blank line, without it; null at end of stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2))
                    ? state + 1
                    : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.substring(0, s.length() - 4);
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (open) {
            for (Socket s : open) {
                s.close();
            }
        }
        pool.shutdownNow();
    }
}
