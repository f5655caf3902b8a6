package dev.anneal.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.anneal.data.FashionMnist;
import dev.anneal.data.IdxDataset;
import dev.anneal.model.LeNet5;
import dev.anneal.optim.Optimizer;
import dev.anneal.optim.Optimizers;
import dev.anneal.parallel.Collective;
import dev.anneal.parallel.TcpCollective;
import dev.anneal.param.ParameterSet;
import dev.anneal.train.TrainingEvent;
import dev.anneal.train.TrainingLoop;
import dev.anneal.train.loss.Losses;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Data-parallel training against one replica, on this machine: two worker processes (one
 * libtorch thread each) train LeNet-5 and a 1M-parameter MLP on batches of 32 over loopback TCP,
 * each step split into compute and exchange, beside one process on the global batch of 64 with
 * the whole machine. Also the collective's all-reduce of 4 MB against the loopback's own
 * bandwidth, measured in the same run. On one machine two workers share its cores, so only the
 * exchange's cost says something about a cluster (docs/distributed.md).
 */
final class ParallelBench {
    private static final int BATCH = 32;
    private static final int ALL_REDUCE_FLOATS = 1 << 20; // 4 MB
    private static final String RESULT = "result ";

    private ParallelBench() {
    }

    /** The report's lines. */
    static List<String> run(int steps) throws Exception {
        double loopback = loopbackGBps();
        Map<String, Double> parallel = workers(steps);
        List<String> lines = new ArrayList<>();
        lines.add("data-parallel: 2 worker processes (1 thread each) over loopback TCP, batch 2 x " + BATCH
                + ", against 1 process on batch " + 2 * BATCH + " (medians of " + steps + " steps, ms):");
        for (String model : List.of("lenet5", "mlp-1m")) {
            double alone = alone(model, steps);
            lines.add(String.format(Locale.ROOT, "  %-7s %,10d params  2 workers %7.2f/step (compute %.2f + exchange %.2f)"
                            + "   1 worker %7.2f/step   ratio %.2f", model, parallel.get(model + ".params").longValue(),
                    parallel.get(model + ".step"), parallel.get(model + ".compute"), parallel.get(model + ".exchange"),
                    alone, parallel.get(model + ".step") / alone));
        }
        double seconds = parallel.get("allreduce.ms") / 1e3;
        // Each rank sends and receives half the array twice: 2 (N-1)/N of its bytes.
        double busGBps = 4.0 * ALL_REDUCE_FLOATS / seconds / 1e9;
        lines.add(String.format(Locale.ROOT, "  all-reduce of 4 MB: %.2f ms, %.2f GB/s on the wire per rank, %.0f%% of the"
                        + " loopback's %.2f GB/s (one stream, measured before)", parallel.get("allreduce.ms"), busGBps,
                100 * busGBps / loopback, loopback));
        return lines;
    }

    /** One TCP stream over the loopback, 4 MB writes: GB/s. */
    private static double loopbackGBps() throws Exception {
        byte[] chunk = new byte[ALL_REDUCE_FLOATS * 4];
        int rounds = 64;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread reader = new Thread(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buffer = new byte[1 << 20];
                    while (in.read(buffer) >= 0) {
                        // drain
                    }
                } catch (IOException ignored) {
                    // the writer's end closes it
                }
            });
            reader.start();
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                 OutputStream out = s.getOutputStream()) {
                for (int i = 0; i < 8; i++) {
                    out.write(chunk); // warm-up
                }
                long start = System.nanoTime();
                for (int i = 0; i < rounds; i++) {
                    out.write(chunk);
                }
                out.flush();
                double seconds = (System.nanoTime() - start) / 1e9;
                return (double) chunk.length * rounds / seconds / 1e9;
            } finally {
                reader.join();
            }
        }
    }

    /** Starts ranks 0 and 1 as processes and reads rank 0's results. */
    private static Map<String, Double> workers(int steps) throws Exception {
        String token = Long.toHexString(Double.doubleToLongBits(Math.random()));
        Process rank0 = start(0, 0, token, steps);
        BufferedReader out = new BufferedReader(new InputStreamReader(rank0.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        if (first == null || !first.startsWith("listening ")) {
            throw new IllegalStateException("the first worker did not start: " + first);
        }
        Process rank1 = start(1, Integer.parseInt(first.substring("listening ".length())), token, steps);
        Map<String, Double> results = new LinkedHashMap<>();
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith(RESULT)) {
                String[] parts = line.substring(RESULT.length()).split(" ");
                results.put(parts[0], Double.parseDouble(parts[1]));
            }
        }
        for (Process p : List.of(rank0, rank1)) {
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("a data-parallel worker failed (exit " + p.exitValue() + ")");
            }
        }
        return results;
    }

    private static Process start(int rank, int port, String token, int steps) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1", "-cp", System.getProperty("java.class.path"),
                ParallelBench.class.getName(), String.valueOf(rank), String.valueOf(port), token, String.valueOf(steps));
        builder.environment().put("OMP_NUM_THREADS", "1");
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        return builder.start();
    }

    /** A worker: {@code rank port token steps}; rank 0 listens (port 0) and prints its results. */
    public static void main(String[] args) throws Exception {
        int rank = Integer.parseInt(args[0]);
        int port = Integer.parseInt(args[1]);
        String token = args[2];
        int steps = Integer.parseInt(args[3]);
        InetAddress loopback = InetAddress.getLoopbackAddress();
        ServerSocket listening = TcpCollective.listen(loopback);
        if (rank == 0) {
            System.out.println("listening " + listening.getLocalPort());
            System.out.flush();
        }
        List<InetSocketAddress> addresses = List.of(new InetSocketAddress(loopback, rank == 0 ? listening.getLocalPort() : port),
                new InetSocketAddress(loopback, listening.getLocalPort()));
        try (Timed collective = new Timed(TcpCollective.connect(rank, addresses, listening, token, Duration.ofMinutes(2)))) {
            float[] values = new float[ALL_REDUCE_FLOATS];
            double[] times = new double[Math.max(steps, 20)];
            for (int i = -5; i < times.length; i++) {
                long start = System.nanoTime();
                collective.sum(values);
                if (i >= 0) {
                    times[i] = (System.nanoTime() - start) / 1e6;
                }
            }
            report(rank, "allreduce.ms", median(times));
            for (String model : List.of("lenet5", "mlp-1m")) {
                train(model, rank, collective, steps);
            }
        }
    }

    /** Trains {@code model} data-parallel for a warm-up and {@code steps} steps; rank 0 reports the medians. */
    private static void train(String model, int rank, Timed collective, int steps) throws Exception {
        try (NDManager data = NDManager.newBaseManager(); Model m = model(model, BATCH)) {
            IdxDataset shard = FashionMnist.loadShard(FashionMnist.defaultDir(), FashionMnist.Split.TRAIN, data, BATCH, 42,
                    rank, 2);
            List<double[]> split = measure(m, shard, steps, collective);
            report(rank, model + ".params", ParameterSet.of(m.getBlock()).trainable().stream()
                    .mapToLong(p -> p.array().size()).sum());
            report(rank, model + ".step", median(split.get(0)));
            report(rank, model + ".exchange", median(split.get(1)));
            report(rank, model + ".compute", median(split.get(0)) - median(split.get(1)));
        }
    }

    /** One process on the global batch, with all of this machine's threads: ms per step. */
    private static double alone(String model, int steps) throws Exception {
        try (NDManager data = NDManager.newBaseManager(); Model m = model(model, 2 * BATCH)) {
            IdxDataset train = FashionMnist.loadShuffled(FashionMnist.defaultDir(), FashionMnist.Split.TRAIN, data,
                    2 * BATCH, 42);
            return median(measure(m, train, steps, null).get(0));
        }
    }

    /** Each measured step's time and time in the collective, after as many warm-up steps. */
    private static List<double[]> measure(Model m, IdxDataset train, int steps, Timed collective) throws Exception {
        double[] step = new double[steps];
        double[] exchange = new double[steps];
        int warmup = Math.max(10, steps / 4);
        try (Optimizer<?> optimizer = Optimizers.momentum().lr(0.01).momentum(0.9).build()
                .compile(ParameterSet.of(m.getBlock()))) {
            TrainingLoop.Builder loop = TrainingLoop.builder().block(m.getBlock()).loss(Losses.softmaxCrossEntropy())
                    .optimizer(optimizer).train(train).epochs(1000).manager(m.getNDManager())
                    .callback((event, control) -> {
                        if (event instanceof TrainingEvent.BatchEnd e) {
                            int i = (int) e.step() - 1 - warmup;
                            double exchanged = collective != null ? collective.takeMillis() : 0;
                            if (i >= 0) {
                                step[i] = e.millis();
                                exchange[i] = exchanged;
                            }
                            if (i == steps - 1) {
                                control.stop("measured");
                            }
                        }
                    });
            if (collective != null) {
                loop.dataParallel(collective).replicaCheckEvery(Long.MAX_VALUE);
            }
            loop.build().run();
        }
        return List.of(step, exchange);
    }

    private static Model model(String name, int batch) {
        Engine.getInstance().setRandomSeed(42);
        Model model = Model.newInstance(name);
        Block block = name.equals("lenet5") ? LeNet5.create() : new SequentialBlock().add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(1024).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(256).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(10).build());
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(batch, 1, 28, 28));
        return model;
    }

    private static void report(int rank, String key, double value) {
        if (rank == 0) {
            System.out.println(RESULT + key + " " + value);
            System.out.flush();
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** A collective that counts the milliseconds spent in it. */
    private static final class Timed implements Collective {
        private final Collective inner;
        private long nanos;

        Timed(Collective inner) {
            this.inner = inner;
        }

        double takeMillis() {
            double millis = nanos / 1e6;
            nanos = 0;
            return millis;
        }

        @Override
        public int rank() {
            return inner.rank();
        }

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public void sum(float[] values) {
            long start = System.nanoTime();
            inner.sum(values);
            nanos += System.nanoTime() - start;
        }

        @Override
        public void broadcast(float[] values, int root) {
            inner.broadcast(values, root);
        }

        @Override
        public long[] gather(long value) {
            return inner.gather(value);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
