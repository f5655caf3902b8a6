package dev.anneal.spark;

import dev.anneal.train.Callback;
import dev.anneal.train.TrainingEvent;
import dev.anneal.train.TrainingResult;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Rank 0's events and result, sent to the driver: the driver listens ({@link #listen}), rank 0
 * connects with the run's token and forwards what its loop reports ({@link #sender}), and the
 * driver hands each event to its own callbacks (the loss monitor, the progress bar, a
 * {@code Flow}). Those only watch: whatever steers training (early stopping) runs inside every
 * replica, where all see the same figures. A rank 0 started again after a failure connects again
 * and its events follow on.
 */
final class DriverLink implements AutoCloseable {
    private static final int HELLO = 0x414E4E44; // "ANND"

    private final ServerSocket server;
    private final String token;
    private final List<Callback> callbacks;
    private final AtomicReference<TrainingResult> result = new AtomicReference<>();
    /** The first exception a driver callback threw: the run fails with it at the end. */
    private final AtomicReference<RuntimeException> callbackFailure = new AtomicReference<>();
    /** Why the last connection from rank 0 ended early, for the error when no result came. */
    private final AtomicReference<Exception> readFailure = new AtomicReference<>();
    /** Connections read at once: rank 0 and its reruns need few; strangers get no more. */
    private final Semaphore readers = new Semaphore(4);
    private final Thread acceptor;

    private DriverLink(ServerSocket server, String token, List<Callback> callbacks) {
        this.server = server;
        this.token = token;
        this.callbacks = List.copyOf(callbacks);
        this.acceptor = new Thread(this::accept, "anneal-driver-link");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listens on {@code host} for rank 0, telling {@code callbacks} what it reports. */
    static DriverLink listen(InetAddress host, String token, List<Callback> callbacks) throws IOException {
        return new DriverLink(new ServerSocket(0, 16, host), token, callbacks);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    /** Rank 0's result, once it has sent it; null before. */
    TrainingResult result() {
        return result.get();
    }

    /** Why rank 0's last connection ended before its result, or null. */
    Exception readFailure() {
        return readFailure.get();
    }

    /** The first exception a driver callback threw, or null. */
    RuntimeException callbackFailure() {
        return callbackFailure.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                if (!readers.tryAcquire()) {
                    socket.close();
                    continue;
                }
                Thread reader = new Thread(() -> {
                    try {
                        read(socket);
                    } finally {
                        readers.release();
                    }
                }, "anneal-driver-link-reader");
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Reads one connection's events; a connection without the token is closed unread. */
    private void read(Socket socket) {
        try (socket; DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()))) {
            socket.setSoTimeout(10_000);
            boolean valid = in.readInt() == HELLO & MessageDigest.isEqual(in.readUTF().getBytes(StandardCharsets.UTF_8),
                    token.getBytes(StandardCharsets.UTF_8));
            if (!valid) {
                return;
            }
            socket.setSoTimeout(0);
            while (true) {
                Object message = EventWire.read(in);
                if (message instanceof TrainingResult finished) {
                    result.set(finished);
                    return;
                }
                synchronized (callbacks) {
                    for (Callback callback : callbacks) {
                        try {
                            callback.on((TrainingEvent) message, reason -> {
                                throw new UnsupportedOperationException("a callback on the driver only watches; stop a"
                                        + " data-parallel run from a callback of the replicas (ReplicaFactory), which"
                                        + " every replica runs alike");
                            });
                        } catch (RuntimeException e) {
                            callbackFailure.compareAndSet(null, e);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            readFailure.set(e); // the replica failed or was stopped (Spark says why), or rank 0 sent something malformed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    /** Rank 0's side: a callback that forwards each event to the driver at {@code address}. */
    static Sender sender(InetSocketAddress address, String token) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 30_000);
        socket.setTcpNoDelay(true);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        out.writeInt(HELLO);
        out.writeUTF(token);
        out.flush();
        return new Sender(socket, out);
    }

    /** Forwards events as they come, and the result at the end. */
    static final class Sender implements Callback, AutoCloseable {
        private final Socket socket;
        private final DataOutputStream out;

        private Sender(Socket socket, DataOutputStream out) {
            this.socket = socket;
            this.out = out;
        }

        @Override
        public void on(TrainingEvent event, Control control) {
            try {
                EventWire.write(out, event);
                if (!(event instanceof TrainingEvent.Logged)) {
                    out.flush(); // a batch's event reaches the driver's progress bar as it happens
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("lost the link to the driver", e);
            }
        }

        void finish(TrainingResult result) throws IOException {
            EventWire.write(out, result);
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
