package dev.anneal.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anneal.config.Shown;
import dev.anneal.grad.NonFinite;
import dev.anneal.optim.Execution;
import dev.anneal.optim.Optimizers;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * {@code ./anneal bench [--quick] [--json FILE]}: optimizer step times of Anneal (fused and
 * generic), DJL's built-in optimizers and torch.optim (with foreach off and on, when
 * /usr/bin/python3 has torch), for SGD-momentum, Adam, AdamW, RMSprop, Adagrad, RAdam and Lion (which only Anneal has)
 * over three layouts, steps interleaved round by round, with copies of as many floats among them
 * over one big tensor (the bandwidth targets weigh each step against those); and LeNet-5
 * training steps of Anneal's loop against a bare DJL loop. Prints a table and, with {@code --json}, writes
 * {@code {"copy_gbps": ..., "rows": [...]}}.
 */
public final class Bench {
    private static final int FAST_WARMUP = 30;
    /** The rows of {@link #tools}: Adam with and without each gradient tool. */
    private static final String TOOLS = "adam+tools";
    /** The rows of {@link #offload}: Adam with its state in host memory. */
    private static final String OFFLOAD = "adam+offload";
    /**
     * The row of copies measured in the same rounds as the steps over one big tensor: this shared
     * machine's bandwidth drifts within minutes, so a step is weighed against the copies beside it.
     */
    private static final String COPY = "copy";
    private final boolean quick;
    private final PrintStream out;

    private Bench(boolean quick, PrintStream out) {
        this.quick = quick;
        this.out = out;
    }

    private static final String USAGE = "usage: anneal bench [--quick] [--parallel] [--json FILE]\n"
            + "  --quick       fewer rounds of each case (still minutes: the catalogue is long)\n"
            + "  --parallel    only data-parallel training: 2 worker processes against one (a minute or two)\n"
            + "  --json FILE   also write the figures as JSON, into a folder that exists\n"
            + "  --help        this help\n";

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean parallelOnly = false;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--parallel" -> parallelOnly = true;
                case "--json" -> {
                    if (++i >= args.length) {
                        usage("--json needs a value: --json FILE");
                    }
                    String name = args[i];
                    json = name.isEmpty() || name.indexOf('\0') >= 0 ? null : Path.of(name);
                    Path folder = json == null ? null : json.toAbsolutePath().getParent();
                    if (folder == null || !Files.isDirectory(folder) || Files.isDirectory(json)) {
                        // Found now, not after minutes of timing.
                        usage("--json must be a file in a folder that exists, got " + Shown.quoted(name));
                    }
                }
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    return;
                }
                default -> usage(Shown.quoted(args[i]) + " is not an option; options are --quick, --parallel, --json"
                        + " and --help");
            }
        }
        if (parallelOnly) {
            ParallelBench.run(quick ? 40 : 200).forEach(System.out::println);
            return;
        }
        new Bench(quick, System.out).run(json);
    }

    /** One line on stderr and status 2, as the other commands do. */
    private static void usage(String problem) {
        System.err.println("anneal bench: " + problem);
        System.exit(2);
    }

    private void run(Path json) throws Exception {
        int rounds = quick ? 3 : 15;
        double copy = CopyBandwidth.measure(40_000_000, quick ? 5 : 9);
        out.printf(Locale.ROOT, "copy bandwidth: %.1f GB/s (median of warm copies, read + write, %d threads)%n", copy,
                Runtime.getRuntime().availableProcessors());
        Optional<Path> script = TorchWorker.script();
        List<Row> rows = new ArrayList<>();
        // One Python process per torch variant for the whole run: starting torch takes seconds.
        try (TorchWorker torch = script.isPresent() ? TorchWorker.start(script.get(), false) : null;
             TorchWorker foreach = script.isPresent() ? TorchWorker.start(script.get(), true) : null) {
            out.println(torch != null ? "torch.optim: " + torch.version() + " from /usr/bin/python3"
                    : "torch.optim: not available (no torch for /usr/bin/python3)");
            for (Kind kind : Kind.values()) {
                for (Layout layout : List.of(Layout.ONE_BIG, Layout.MEDIUM, Layout.MANY_SMALL)) {
                    rows.addAll(steps(kind, layout, rounds, torch, foreach));
                }
            }
        }
        rows.addAll(tools(rounds));
        rows.addAll(offload(rounds));
        rows.addAll(LoopBench.run(quick ? 4 : 20));
        List<String> parallel = ParallelBench.run(quick ? 40 : 200);
        out.println();
        out.print(table(rows, copy));
        out.println();
        parallel.forEach(out::println);
        out.println();
        out.print(checks(rows));
        if (json != null) {
            writeJson(json, rows, copy);
            out.println("wrote " + json);
        }
    }

    /**
     * What the gradient tools add to an Adam step over 1x10M on the fused path: clipping by the
     * total norm, an average of the weights, and the check for NaN and infinity (which
     * {@code NonFinite.APPLY} leaves out), each measured beside the plain step.
     */
    private List<Row> tools(int rounds) throws Exception {
        Layout big = Layout.ONE_BIG;
        return measure(TOOLS, big, rounds, name -> true, steppers -> {
            steppers.put(COPY, CopyBandwidth.stepper(big.count() * big.size()));
            steppers.put("anneal-fast", Steppers.anneal(Kind.ADAM.anneal(), big, Execution.FUSED));
            steppers.put("+clip", Steppers.anneal(Optimizers.adam().lr(1e-3).clipGradNorm(1.0).build(), big, Execution.FUSED));
            steppers.put("+ema", Steppers.anneal(Optimizers.adam().lr(1e-3).ema(0.999).build(), big, Execution.FUSED));
            steppers.put("-check", Steppers.anneal(Optimizers.adam().lr(1e-3).onNonFinite(NonFinite.APPLY).build(), big,
                    Execution.FUSED));
        });
    }

    /**
     * Adam over 1x10M with its state offloaded to host memory ({@code Execution.OFFLOAD}) beside
     * the two paths that keep it with the parameters, and the bytes of state the offload moves off
     * the parameters' device.
     */
    private List<Row> offload(int rounds) throws Exception {
        Layout big = Layout.ONE_BIG;
        long bytes = Steppers.stateBytes(Kind.ADAM.anneal(), big);
        out.printf(Locale.ROOT, "%s %s: %.1f MB of optimizer state kept in host memory, off the parameters' device%n",
                OFFLOAD, big.label(), bytes / 1e6);
        return measure(OFFLOAD, big, rounds, name -> name.equals("anneal-fast"), steppers -> {
            steppers.put("anneal-fast", Steppers.anneal(Kind.ADAM, big, Execution.FUSED));
            steppers.put("anneal-generic", Steppers.anneal(Kind.ADAM, big, Execution.GENERIC));
            steppers.put("anneal-offload", Steppers.anneal(Kind.ADAM, big, Execution.OFFLOAD));
        });
    }

    /** Interleaved rounds: each round takes one step of every implementation, in rotating order. */
    private List<Row> steps(Kind kind, Layout layout, int rounds, TorchWorker torch, TorchWorker foreach)
            throws Exception {
        return measure(kind.label, layout, rounds, name -> name.equals("anneal-fast") || name.equals(COPY), steppers -> {
            if (layout == Layout.ONE_BIG) {
                steppers.put(COPY, CopyBandwidth.stepper(layout.count() * layout.size()));
            }
            steppers.put("anneal-fast", Steppers.anneal(kind, layout, Execution.FUSED));
            steppers.put("anneal-generic", Steppers.anneal(kind, layout, Execution.GENERIC));
            if (kind.djl() != null) {
                steppers.put("djl", Steppers.djl(kind, layout));
            }
            if (torch != null && kind.inTorch()) {
                steppers.put("torch", torch.setup(kind, layout));
                steppers.put("torch-foreach", foreach.setup(kind, layout));
            }
        });
    }

    /** Puts the implementations to measure into the map, in the order they are reported. */
    private interface Setup {
        void fill(Map<String, Stepper> steppers) throws Exception;
    }

    /**
     * Steps every stepper {@code setup} gives in interleaved rounds, after warming up those the
     * JIT compiles ({@code jitted}), then closes them all.
     */
    private List<Row> measure(String label, Layout layout, int rounds, Predicate<String> jitted,
                              Setup setup) throws Exception {
        Map<String, Stepper> steppers = new LinkedHashMap<>();
        try {
            setup.fill(steppers);
            List<String> names = new ArrayList<>(steppers.keySet());
            // Measure steady state: the fast path's first steps are the JIT's, and its first
            // step defines gradients; the others are native and need little warming.
            for (String name : names.stream().filter(jitted).toList()) {
                for (int i = 0; i < FAST_WARMUP; i++) {
                    steppers.get(name).step();
                }
            }
            Map<String, double[]> samples = new LinkedHashMap<>();
            names.forEach(n -> samples.put(n, new double[rounds]));
            for (int r = -1; r < rounds; r++) { // round -1 warms up
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get(Math.floorMod(k + r, names.size()));
                    double ms = steppers.get(name).step();
                    if (r >= 0) {
                        samples.get(name)[r] = ms;
                    }
                }
            }
            List<Row> rows = new ArrayList<>();
            samples.forEach((name, values) -> rows.add(Row.of(label, layout.label(), name, values)));
            out.printf(Locale.ROOT, "%-13s %-11s %s%n", label, layout.label(), rows.stream()
                    .map(row -> String.format(Locale.ROOT, "%s %.2f ms", row.impl(), row.medianMs()))
                    .reduce((a, b) -> a + ", " + b).orElse(""));
            return rows;
        } finally {
            steppers.values().forEach(Stepper::close);
        }
    }

    private static String table(List<Row> rows, double copy) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-13s %-11s %-15s %10s %9s %9s %10s %8s %7s%n",
                "optimizer", "layout", "impl", "median ms", "min ms", "max ms", "vs fast", "GB/s", "% copy"));
        for (Row row : rows) {
            Row fast = find(rows, row.optimizer(), row.layout(), row.optimizer().equals("lenet-step") ? "anneal" : "anneal-fast");
            double gbps = bytes(row) / (row.medianMs() / 1e3) / 1e9;
            Row copied = find(rows, row.optimizer(), row.layout(), COPY);
            double bandwidth = copied != null ? bytes(copied) / (copied.medianMs() / 1e3) / 1e9 : copy;
            boolean step = !row.optimizer().equals("lenet-step");
            s.append(String.format(Locale.ROOT, "%-13s %-11s %-15s %10.3f %9.3f %9.3f %9.2fx %8s %7s%n",
                    row.optimizer(), row.layout(), row.impl(), row.medianMs(), row.minMs(), row.maxMs(),
                    row.medianMs() / fast.medianMs(),
                    step ? String.format(Locale.ROOT, "%.1f", gbps) : "-",
                    step ? String.format(Locale.ROOT, "%.0f%%", 100 * gbps / bandwidth) : "-"));
        }
        return s.toString();
    }

    /** The targets of the benchmark, each with its measured ratio. */
    private static String checks(List<Row> rows) {
        StringBuilder s = new StringBuilder("targets:\n");
        Row adamBig = find(rows, "adam", Layout.ONE_BIG.label(), "anneal-fast");
        check(s, "adam 1x10000000: anneal-fast / djl <= 0.5", ratio(rows, adamBig, "djl"), 0.5);
        check(s, "adam 1x10000000: anneal-fast / torch <= 1.0", ratio(rows, adamBig, "torch"), 1.0);
        check(s, "adam 1x10000000: anneal-fast / torch-foreach <= 1.0", ratio(rows, adamBig, "torch-foreach"), 1.0);
        Row adamCopy = find(rows, "adam", Layout.ONE_BIG.label(), COPY);
        double share = bytes(adamBig) / adamBig.medianMs() / (bytes(adamCopy) / adamCopy.medianMs());
        s.append(String.format(Locale.ROOT, "  %-58s %6.2f  %s%n", "adam 1x10000000: share of copy bandwidth >= 0.60", share,
                share >= 0.6 ? "ok" : "MISSED"));
        for (String optimizer : List.of("adam", "sgd-momentum")) {
            Row small = find(rows, optimizer, Layout.MANY_SMALL.label(), "anneal-fast");
            for (String other : List.of("djl", "torch", "torch-foreach")) {
                check(s, optimizer + " 10000x100: anneal-fast / " + other + " <= 0.1", ratio(rows, small, other), 0.1);
            }
        }
        // A copy reads the tensor once and writes it once: one read is half a copy at copy bandwidth.
        double read = find(rows, TOOLS, Layout.ONE_BIG.label(), COPY).medianMs() / 2;
        Row plain = find(rows, TOOLS, Layout.ONE_BIG.label(), "anneal-fast");
        Row unchecked = find(rows, TOOLS, Layout.ONE_BIG.label(), "-check");
        for (String tool : List.of("+clip", "+ema")) {
            Row with = find(rows, TOOLS, Layout.ONE_BIG.label(), tool);
            check(s, "adam 1x10000000 " + tool + ": extra time / one read of a tensor <= 1", (with.medianMs() - plain.medianMs()) / read, 1);
        }
        check(s, "adam 1x10000000 finite check: extra time / one read <= 1", (plain.medianMs() - unchecked.medianMs()) / read, 1);
        Row loop = find(rows, "lenet-step", "lenet5-b32", "anneal");
        check(s, "lenet step: anneal / djl <= 1.05", ratio(rows, loop, "djl"), 1.05);
        return s.toString();
    }

    private static void check(StringBuilder s, String what, Double ratio, double limit) {
        if (ratio == null) {
            s.append(String.format(Locale.ROOT, "  %-58s %6s  not measured%n", what, "-"));
        } else {
            s.append(String.format(Locale.ROOT, "  %-58s %6.3f  %s%n", what, ratio, ratio <= limit ? "ok" : "MISSED"));
        }
    }

    private static Double ratio(List<Row> rows, Row row, String other) {
        Row base = find(rows, row.optimizer(), row.layout(), other);
        return base == null ? null : row.medianMs() / base.medianMs();
    }

    private static Row find(List<Row> rows, String optimizer, String layout, String impl) {
        return rows.stream().filter(r -> r.optimizer().equals(optimizer) && r.layout().equals(layout)
                && r.impl().equals(impl)).findFirst().orElse(null);
    }

    /** The bytes a row's step must read and write: its rule's streams, or a copy's read and write. */
    private static double bytes(Row row) {
        String[] size = row.layout().split("x");
        if (row.impl().equals(COPY)) {
            return 8.0 * Long.parseLong(size[0]) * Long.parseLong(size[1]);
        }
        for (Kind kind : Kind.values()) {
            boolean adamRow = row.optimizer().equals(TOOLS) || row.optimizer().equals(OFFLOAD);
            if (kind.label.equals(row.optimizer()) || adamRow && kind == Kind.ADAM) {
                return (double) kind.bytesPerElement * Long.parseLong(size[0]) * Long.parseLong(size[1]);
            }
        }
        return 0;
    }

    private static void writeJson(Path file, List<Row> rows, double copy) throws IOException {
        JsonObject root = new JsonObject();
        root.addProperty("copy_gbps", copy);
        JsonArray array = new JsonArray();
        for (Row row : rows) {
            JsonObject o = new JsonObject();
            o.addProperty("optimizer", row.optimizer());
            o.addProperty("layout", row.layout());
            o.addProperty("impl", row.impl());
            o.addProperty("median_ms", row.medianMs());
            o.addProperty("min_ms", row.minMs());
            o.addProperty("max_ms", row.maxMs());
            array.add(o);
        }
        root.add("rows", array);
        Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(root) + "\n");
    }
}
