package dev.anneal.parallel;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Replicas in separate processes, one TCP connection between each pair. A sum is a reduce-scatter
 * followed by an all-gather: rank r receives every rank's share r of the array, adds the shares in
 * rank order and sends the total back to all. Each rank sends and receives (N-1)/N of the array
 * twice, as in a ring, but every element is added in rank order, so every rank, and an
 * {@link InProcessCollective}, gets the same bits. Sends run on one thread per peer, so that two
 * ranks sending to each other never wait on each other's reads.
 *
 * <p>Connections are made once: each rank listens ({@link #listen}), the addresses are exchanged
 * (Spark's barrier {@code allGather}), and {@link #connect} links each rank to the ranks below it
 * and accepts those above. A connection must open with the run's token, its rank and the group's
 * size, or it is closed unanswered. The token keeps strangers out; it does not encrypt (see
 * {@code docs/distributed.md}). Every message carries its operation's kind, number and length, so
 * replicas that call different operations fail at once, naming the rank, instead of exchanging the
 * wrong bytes. A rank that sends nothing for the timeout, or closes its connection, fails the
 * operation naming it.
 */
public final class TcpCollective implements Collective {
    private static final int HELLO = 0x414E4E43; // "ANNC"
    private static final int SUM = 1;
    private static final int GATHERED = 2;
    private static final int BROADCAST = 3;
    private static final int VALUE = 4;
    /** The most a refused message's payload is read for before closing (see {@link #drain}). */
    private static final long MAX_DRAINED = 1L << 28;
    private static final String[] OPERATIONS = {"", "sum (reduce-scatter)", "sum (all-gather)", "broadcast", "gather"};

    /** One other rank and the connection to it. */
    private static final class Peer {
        final int rank;
        final String address;
        final Socket socket;
        final DataInputStream in;
        final DataOutputStream out;
        final ExecutorService sender;
        byte[] sendBytes = new byte[0];
        byte[] receiveBytes = new byte[0];
        float[] share = new float[0];

        Peer(int rank, Socket socket) throws IOException {
            this.rank = rank;
            this.address = socket.getRemoteSocketAddress().toString();
            this.socket = socket;
            this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
            this.sender = Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, "anneal-collective-send-to-rank-" + rank);
                thread.setDaemon(true);
                return thread;
            });
        }

        String name() {
            return "rank " + rank + " (" + address + ")";
        }
    }

    private final int rank;
    private final int size;
    private final Peer[] peers;
    private final Duration timeout;
    private long operations;
    private volatile boolean closed;

    private TcpCollective(int rank, int size, Peer[] peers, Duration timeout) {
        this.rank = rank;
        this.size = size;
        this.peers = peers;
        this.timeout = timeout;
    }

    /** A socket on a free port of {@code host}, for the other ranks to connect to. */
    public static ServerSocket listen(InetAddress host) throws IOException {
        return new ServerSocket(0, 64, host);
    }

    /**
     * Links rank {@code rank} to every other: connects to the ranks below it at their
     * {@code addresses}, accepts the ranks above it on {@code listening} (closed afterwards), all
     * within {@code timeout}, which then bounds each wait for a message.
     *
     * @param token the run's shared secret: a connection that does not present it is refused
     */
    public static TcpCollective connect(int rank, List<InetSocketAddress> addresses, ServerSocket listening,
                                        String token, Duration timeout) throws IOException {
        int size = addresses.size();
        if (rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank must be from 0 to " + (size - 1) + ", got " + rank);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Peer[] peers = new Peer[size];
        try (listening) {
            for (int r = 0; r < rank; r++) {
                peers[r] = dial(r, addresses.get(r), rank, size, token, deadline);
            }
            int awaited = size - 1 - rank;
            while (awaited > 0) {
                Peer peer = answer(listening, rank, size, token, peers, deadline);
                if (peer != null) {
                    peers[peer.rank] = peer;
                    awaited--;
                }
            }
            for (Peer peer : peers) {
                if (peer != null) {
                    peer.socket.setSoTimeout(Math.toIntExact(Math.min(Integer.MAX_VALUE, timeout.toMillis())));
                }
            }
            return new TcpCollective(rank, size, peers, timeout);
        } catch (SocketTimeoutException e) {
            closeAll(peers);
            List<Integer> absent = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                if (r != rank && peers[r] == null) {
                    absent.add(r);
                }
            }
            throw new IOException("rank " + rank + " could not link to ranks " + absent + " within " + timeout + " ("
                    + e.getMessage() + "): they did not start, cannot reach this host, or presented another token", e);
        } catch (IOException | RuntimeException e) {
            closeAll(peers);
            throw e;
        }
    }

    private static void closeAll(Peer[] peers) {
        for (Peer peer : peers) {
            if (peer != null) {
                close(peer);
            }
        }
    }

    /** Connects to a lower rank, retrying until it listens, and introduces this one. */
    private static Peer dial(int to, InetSocketAddress address, int rank, int size, String token, long deadline)
            throws IOException {
        while (true) {
            Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(address, remainingMillis(deadline, "connecting to rank " + to + " at " + address));
                socket.setSoTimeout(remainingMillis(deadline, "waiting for rank " + to + " at " + address));
                DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                out.writeInt(HELLO);
                out.writeUTF(token);
                out.writeInt(rank);
                out.writeInt(size);
                out.flush();
                DataInputStream in = new DataInputStream(socket.getInputStream());
                if (in.readInt() != HELLO || in.readInt() != to) {
                    throw new IOException("the process at " + address + " is not rank " + to + " of this run");
                }
                return new Peer(to, socket);
            } catch (ConnectException e) {
                socket.close();
                sleepBefore(deadline, "rank " + to + " at " + address + " is not listening");
            } catch (EOFException e) {
                socket.close();
                throw new IOException("rank " + to + " at " + address + " refused this rank's introduction:"
                        + " a different token or group size", e);
            } catch (IOException | RuntimeException e) {
                socket.close();
                throw e;
            }
        }
    }

    /**
     * Accepts one connection and checks its introduction: a higher rank of this group presenting
     * the token, not already connected. Anything else is closed unanswered; null then.
     */
    private static Peer answer(ServerSocket listening, int rank, int size, String token, Peer[] peers, long deadline)
            throws IOException {
        listening.setSoTimeout(remainingMillis(deadline, "waiting for ranks " + missing(peers, rank, size)
                + " to connect"));
        Socket socket = listening.accept();
        try {
            socket.setTcpNoDelay(true);
            // Short: a silent stranger holds up the ranks behind it in the queue.
            socket.setSoTimeout(Math.min(2_000, remainingMillis(deadline, "reading an introduction")));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            boolean valid = in.readInt() == HELLO
                    & MessageDigest.isEqual(in.readUTF().getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
            int from = in.readInt();
            valid &= in.readInt() == size && from > rank && from < size && peers[from] == null;
            if (!valid) {
                socket.close();
                return null;
            }
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(HELLO);
            out.writeInt(rank);
            out.flush();
            return new Peer(from, socket);
        } catch (IOException e) {
            socket.close(); // a stranger's broken introduction; keep waiting for the ranks
            return null;
        }
    }

    private static List<Integer> missing(Peer[] peers, int rank, int size) {
        List<Integer> missing = new ArrayList<>();
        for (int r = rank + 1; r < size; r++) {
            if (peers[r] == null) {
                missing.add(r);
            }
        }
        return missing;
    }

    private static int remainingMillis(long deadline, String doing) throws SocketTimeoutException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("timed out " + doing);
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    private static void sleepBefore(long deadline, String why) throws IOException {
        remainingMillis(deadline, "while " + why);
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + why, e);
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void sum(float[] values) {
        guarded(() -> sumInto(values));
    }

    @Override
    public void broadcast(float[] values, int root) {
        Ranks.checkRoot(root, size);
        guarded(() -> broadcastFrom(values, root));
    }

    @Override
    public long[] gather(long value) {
        long[][] values = new long[1][];
        guarded(() -> values[0] = gatherAll(value));
        return values[0];
    }

    /** Runs an operation; a failed one breaks the group, so the other ranks fail at once rather than at their timeout. */
    private void guarded(Runnable operation) {
        if (closed) {
            throw new CollectiveException(rank, "rank " + rank + "'s collective is closed", null);
        }
        try {
            operation.run();
        } catch (CollectiveException e) {
            close();
            throw e;
        }
    }

    private void sumInto(float[] values) {
        long operation = ++operations;
        if (size == 1) {
            return;
        }
        int start = Ranks.start(values.length, size, rank);
        int length = Ranks.start(values.length, size, rank + 1) - start;
        List<Future<?>> sends = new ArrayList<>();
        for (Peer peer : peers) {
            if (peer != null) {
                int theirs = Ranks.start(values.length, size, peer.rank);
                sends.add(sendFloats(peer, SUM, operation, values, theirs,
                        Ranks.start(values.length, size, peer.rank + 1) - theirs));
            }
        }
        for (Peer peer : peers) {
            if (peer != null) {
                peer.share = receiveFloats(peer, SUM, operation, values.length, length, peer.share, 0);
            }
        }
        finish(sends, operation);
        float[] total = new float[length];
        System.arraycopy(rank == 0 ? values : peers[0].share, rank == 0 ? start : 0, total, 0, length);
        for (int r = 1; r < size; r++) {
            Ranks.add(total, 0, r == rank ? values : peers[r].share, r == rank ? start : 0, length);
        }
        System.arraycopy(total, 0, values, start, length);
        sends.clear();
        for (Peer peer : peers) {
            if (peer != null) {
                sends.add(sendFloats(peer, GATHERED, operation, values, start, length));
            }
        }
        for (Peer peer : peers) {
            if (peer != null) {
                int theirs = Ranks.start(values.length, size, peer.rank);
                receiveFloats(peer, GATHERED, operation, values.length,
                        Ranks.start(values.length, size, peer.rank + 1) - theirs, values, theirs);
            }
        }
        finish(sends, operation);
    }

    private void broadcastFrom(float[] values, int root) {
        long operation = ++operations;
        if (rank == root) {
            List<Future<?>> sends = new ArrayList<>();
            for (Peer peer : peers) {
                if (peer != null) {
                    sends.add(sendFloats(peer, BROADCAST, operation, values, 0, values.length));
                }
            }
            finish(sends, operation);
        } else if (size > 1) {
            receiveFloats(peers[root], BROADCAST, operation, values.length, values.length, values, 0);
        }
    }

    private long[] gatherAll(long value) {
        long operation = ++operations;
        List<Future<?>> sends = new ArrayList<>();
        for (Peer peer : peers) {
            if (peer != null) {
                ByteBuffer bytes = bytes(peer, Long.BYTES);
                bytes.putLong(0, value);
                sends.add(send(peer, VALUE, operation, 1, 1, Long.BYTES));
            }
        }
        long[] values = new long[size];
        values[rank] = value;
        for (Peer peer : peers) {
            if (peer != null) {
                values[peer.rank] = receive(peer, VALUE, operation, 1, 1, Long.BYTES).getLong(0);
            }
        }
        finish(sends, operation);
        return values;
    }

    /** The peer's send buffer, at least {@code length} bytes, little-endian. */
    private static ByteBuffer bytes(Peer peer, int length) {
        if (peer.sendBytes.length < length) {
            peer.sendBytes = new byte[length];
        }
        return ByteBuffer.wrap(peer.sendBytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private Future<?> sendFloats(Peer peer, int kind, long operation, float[] values, int start, int length) {
        bytes(peer, Float.BYTES * length).asFloatBuffer().put(values, start, length);
        return send(peer, kind, operation, values.length, length, Float.BYTES * length);
    }

    /**
     * Sends the first {@code length} bytes of the peer's send buffer on its sending thread: a part
     * of {@code count} values of an operation on {@code total}.
     */
    private Future<?> send(Peer peer, int kind, long operation, int total, int count, int length) {
        return peer.sender.submit(() -> {
            peer.out.writeInt(kind);
            peer.out.writeLong(operation);
            peer.out.writeInt(total);
            peer.out.writeInt(count);
            peer.out.write(peer.sendBytes, 0, length);
            peer.out.flush();
            return null;
        });
    }

    /**
     * Reads {@code count} floats of an operation on {@code total} from {@code peer} into
     * {@code into} at {@code at} (a new array if it is too short); returns the array.
     */
    private float[] receiveFloats(Peer peer, int kind, long operation, int total, int count, float[] into, int at) {
        ByteBuffer bytes = receive(peer, kind, operation, total, count, Float.BYTES);
        float[] target = into.length < at + count ? new float[at + count] : into;
        bytes.asFloatBuffer().get(target, at, count);
        return target;
    }

    /** Reads one message, checking that it is the expected operation and length; returns its payload. */
    private ByteBuffer receive(Peer peer, int kind, long operation, int total, int count, int width) {
        try {
            int theirKind = peer.in.readInt();
            long theirOperation = peer.in.readLong();
            int theirTotal = peer.in.readInt();
            int theirCount = peer.in.readInt();
            if (theirKind != kind || theirOperation != operation || theirTotal != total || theirCount != count) {
                drain(peer, theirKind, theirCount);
                throw new CollectiveException(peer.rank, "rank " + rank + " expected " + describe(kind, operation, total)
                        + " from " + peer.name() + ", which sent " + describe(theirKind, theirOperation, theirTotal)
                        + ": the replicas are not running the same program", null);
            }
            int length = Math.multiplyExact(count, width);
            if (peer.receiveBytes.length < length) {
                peer.receiveBytes = new byte[length];
            }
            peer.in.readFully(peer.receiveBytes, 0, length);
            return ByteBuffer.wrap(peer.receiveBytes, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (SocketTimeoutException e) {
            throw new CollectiveException(peer.rank, "rank " + rank + " waited " + timeout + " for " + peer.name()
                    + " in operation " + operation + " (" + OPERATIONS[kind] + "): it failed, stalled or is slower"
                    + " than the timeout", e);
        } catch (IOException e) {
            throw new CollectiveException(peer.rank, "rank " + rank + " lost its connection to " + peer.name()
                    + " in operation " + operation + " (" + OPERATIONS[kind] + "): it failed or stopped", e);
        }
    }

    /**
     * Reads and drops the payload that came with a message this rank refuses, when its declared
     * size is plausible: a socket closed with unread bytes resets the connection, and the peer
     * would then lose this rank's own message before it finds the mismatch too.
     */
    private static void drain(Peer peer, int kind, int count) {
        long bytes = (long) count * (kind == VALUE ? Long.BYTES : Float.BYTES);
        if (kind >= SUM && kind <= VALUE && bytes >= 0 && bytes <= MAX_DRAINED) {
            try {
                peer.in.skipNBytes(bytes);
            } catch (IOException ignored) {
                // failing anyway: the mismatch is the error to report
            }
        }
    }

    private static String describe(int kind, long operation, int total) {
        String name = kind > 0 && kind < OPERATIONS.length ? OPERATIONS[kind] : "unknown kind " + kind;
        return "operation " + operation + " (" + name + ") of " + total + " values";
    }

    /** Waits for this operation's sends, naming the peer a failed one was for. */
    private void finish(List<Future<?>> sends, long operation) {
        int next = 0;
        for (Future<?> send : sends) {
            while (peers[next] == null) {
                next++;
            }
            Peer peer = peers[next++];
            try {
                send.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new CollectiveException(peer.rank, "rank " + rank + " could not send operation " + operation
                        + " to " + peer.name() + ": it failed or stopped", e.getCause());
            } catch (TimeoutException e) {
                throw new CollectiveException(peer.rank, "rank " + rank + " could not send operation " + operation
                        + " to " + peer.name() + " within " + timeout + ": it stopped reading", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CollectiveException(rank, "rank " + rank + " was interrupted in operation " + operation, e);
            }
        }
    }

    /** Closes every connection: the other ranks' next operation fails naming this one. */
    @Override
    public void close() {
        closed = true;
        closeAll(peers);
    }

    private static void close(Peer peer) {
        peer.sender.shutdownNow();
        try {
            peer.socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
