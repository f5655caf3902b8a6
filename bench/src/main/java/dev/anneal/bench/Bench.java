package dev.anneal.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anneal.config.Shown;
import dev.anneal.grad.NonFinite;
import dev.anneal.optim.Execution;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.Muon;
import dev.anneal.optim.Optimizers;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * {@code ./anneal bench [--quick] [--only SECTIONS] [--json FILE]}: optimizer step times of
 * Anneal (fused and generic), DJL's built-in optimizers and torch.optim (with foreach off and on,
 * when /usr/bin/python3 has torch), one section per optimizer of {@link Kind} over three
 * layouts, steps interleaved round by round, with copies of as many floats among them over one
 * big tensor (the bandwidth targets weigh each step against those); then Adam with each gradient
 * tool, Adam with its state offloaded, Muon against the matrix products it needs, LeNet-5
 * training steps of Anneal's loop against a bare DJL loop, and data-parallel training. Prints a
 * table and the targets and, with {@code --json}, writes {@code {"copy_gbps": ..., "rows": [...]}}.
 */
public final class Bench {
    private static final int FAST_WARMUP = 30;
    /** The rows of {@link #tools}: Adam with and without each gradient tool. */
    private static final String TOOLS = "adam+tools";
    /** The rows of {@link #offload}: Adam with its state in host memory. */
    private static final String OFFLOAD = "adam+offload";
    /** The rows of {@link #muon}. */
    private static final String MUON = "muon";
    /** The lines of {@link ParallelBench}, which are not rows of the table. */
    private static final String PARALLEL = "parallel";
    /**
     * The row of copies measured in the same rounds as the steps over one big tensor: this shared
     * machine's bandwidth drifts within minutes, so a step is weighed against the copies beside it.
     */
    private static final String COPY = "copy";
    /** The row of a pass that only reads the tensor, beside the tools that add one. */
    private static final String READ = "read";
    private final boolean quick;
    private final Set<String> only;
    private final PrintStream out;

    private Bench(boolean quick, Set<String> only, PrintStream out) {
        this.quick = quick;
        this.only = only;
        this.out = out;
    }

    /** Every section's name, in the order the sections run. */
    static List<String> sections() {
        List<String> names = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            names.add(kind.label);
        }
        names.addAll(List.of(TOOLS, OFFLOAD, MUON, LoopBench.LABEL, PARALLEL));
        return names;
    }

    private static final String USAGE = "usage: anneal bench [--quick] [--only SECTIONS] [--parallel] [--json FILE]\n"
            + "       anneal bench --against REV [--quick] [--only OPTIMIZERS]\n"
            + "  --quick          fewer rounds of each case (still minutes: the catalogue is long)\n"
            + "  --only SECTIONS  only these sections, comma-separated, of:\n"
            + "                   " + String.join(",", sections()) + "\n"
            + "  --parallel       only data-parallel training (--only parallel): 2 worker processes against one\n"
            + "  --json FILE      also write the figures as JSON, into a folder that exists\n"
            + "  --against REV    only the optimizers' fused steps, beside those of git revision REV in the same\n"
            + "                   JVM, steps interleaved (REV is built offline once, in ~/.cache/anneal/against)\n"
            + "  --help           this help\n";

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Set<String> only = new LinkedHashSet<>(sections());
        Path json = null;
        String against = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--parallel" -> only = Set.of(PARALLEL);
                case "--only" -> {
                    if (++i >= args.length) {
                        usage("--only needs a value: --only " + Kind.ADAM.label + "," + TOOLS);
                    }
                    only = parseSections(args[i]);
                }
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
                case "--against" -> {
                    if (++i >= args.length) {
                        usage("--against needs a value: --against REV, a git revision such as HEAD~3");
                    }
                    against = args[i];
                }
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    return;
                }
                default -> usage(Shown.quoted(args[i]) + " is not an option; options are --quick, --only, --parallel,"
                        + " --json, --against and --help");
            }
        }
        if (against == null) {
            new Bench(quick, only, System.out).run(json);
            return;
        }
        List<String> optimizers = Arrays.stream(Kind.values()).map(kind -> kind.label).toList();
        if (only.equals(new LinkedHashSet<>(sections()))) {
            only = new LinkedHashSet<>(optimizers);
        }
        if (json != null || !optimizers.containsAll(only)) {
            usage("--against times the optimizers' fused steps only: it takes --only with optimizers ("
                    + String.join(",", optimizers) + ") and no --json or --parallel");
        }
        Against other;
        try {
            other = Against.build(Path.of(System.getProperty("anneal.home", ".")), against, System.out);
        } catch (IllegalArgumentException e) { // a revision that cannot be built; a failure while timing is no usage error
            usage(e.getMessage());
            return;
        }
        try (other; Against checked = Against.current("this"); Against unchecked = Against.current("-check")) {
            new Bench(quick, only, System.out).against(other, checked, unchecked);
        }
    }

    /** The sections {@code --only} names, each checked against {@link #sections()}. */
    private static Set<String> parseSections(String list) {
        Set<String> chosen = new LinkedHashSet<>();
        for (String name : list.split(",", -1)) {
            if (!sections().contains(name.trim())) {
                usage("--only got " + Shown.quoted(name) + ", which is not a section; sections are "
                        + String.join(", ", sections()));
            }
            chosen.add(name.trim());
        }
        return chosen;
    }

    /** One line on stderr and status 2, as the other commands do. */
    private static void usage(String problem) {
        System.err.println("anneal bench: " + problem);
        System.exit(2);
    }

    private void run(Path json) throws Exception {
        int rounds = quick ? 3 : 15;
        List<Row> rows = new ArrayList<>();
        Double copy = null;
        if (!only.equals(Set.of(PARALLEL))) {
            copy = CopyBandwidth.measure(40_000_000, quick ? 5 : 9);
            out.printf(Locale.ROOT, "copy bandwidth: %.1f GB/s (median of warm copies, read + write, %d threads)%n", copy,
                    Runtime.getRuntime().availableProcessors());
        }
        List<Kind> kinds = Arrays.stream(Kind.values()).filter(kind -> only.contains(kind.label)).toList();
        if (!kinds.isEmpty() && !"0".equals(System.getenv("MALLOC_MMAP_MAX_"))) {
            // The launcher sets it; a run started otherwise times page faults in the 1x10M rows.
            out.println("native memory: glibc gives freed blocks over 32 MB back to the kernel, so the generic path's, "
                    + "DJL's and torch's steps over 1x10M fault in fresh pages each time; ./anneal bench sets "
                    + "MALLOC_MMAP_MAX_=0 and MALLOC_TRIM_THRESHOLD_ to keep them");
        }
        Optional<Path> script = kinds.stream().anyMatch(Kind::inTorch) ? TorchWorker.script() : Optional.empty();
        // One Python process per torch variant for the whole run: starting torch takes seconds.
        try (TorchWorker torch = script.isPresent() ? TorchWorker.start(script.get(), false) : null;
             TorchWorker foreach = script.isPresent() ? TorchWorker.start(script.get(), true) : null) {
            if (kinds.stream().anyMatch(Kind::inTorch)) {
                out.println(torch != null ? "torch.optim: " + torch.version() + " from /usr/bin/python3"
                        : "torch.optim: not available (no torch for /usr/bin/python3)");
            }
            for (Kind kind : kinds) {
                for (Layout layout : Layout.STEPPED.values()) {
                    rows.addAll(steps(kind, layout, rounds, torch, foreach));
                }
            }
        }
        if (only.contains(TOOLS)) {
            rows.addAll(tools(rounds));
        }
        if (only.contains(OFFLOAD)) {
            rows.addAll(offload(rounds));
        }
        if (only.contains(MUON)) {
            rows.addAll(muon(rounds));
        }
        if (only.contains(LoopBench.LABEL)) {
            rows.addAll(LoopBench.run(quick ? 4 : 20));
        }
        List<String> parallel = only.contains(PARALLEL) ? ParallelBench.run(quick ? 40 : 200) : List.of();
        if (!rows.isEmpty()) {
            out.println();
            out.print(table(rows, copy));
        }
        if (!parallel.isEmpty()) {
            out.println();
            parallel.forEach(out::println);
        }
        if (!rows.isEmpty()) {
            out.println();
            out.print(checks(rows));
        }
        if (json != null) {
            writeJson(json, rows, copy);
            out.println("wrote " + json);
        }
    }

    /**
     * Each chosen optimizer's fused steps over the three layouts, beside another revision's in the
     * same rounds: this build's as is, and with the non-finite check off ({@code -check}), the same
     * work as a revision from before the check. Ends with the rows where this build is more than
     * 10% slower than the revision.
     */
    private void against(Against other, Against checked, Against unchecked) throws Exception {
        int rounds = quick ? 21 : 101;
        List<String> slower = new ArrayList<>();
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%-13s %-12s %10s %10s %7s %10s %7s%n",
                "optimizer", "layout", other.name() + " ms", "this ms", "ratio", "-check ms", "ratio"));
        for (Kind kind : Kind.values()) {
            if (!only.contains(kind.label)) {
                continue;
            }
            if (!other.knows(kind)) {
                out.printf("%-13s %s has no such optimizer%n", kind.label, other.name());
                continue;
            }
            for (Map.Entry<String, Layout> layout : Layout.STEPPED.entrySet()) {
                List<Row> rows = measure(kind.label, layout.getValue(), rounds, name -> true, true, makers -> {
                    makers.put(other.name(), () -> other.fused(kind, layout.getKey(), true));
                    makers.put(checked.name(), () -> checked.fused(kind, layout.getKey(), true));
                    makers.put(unchecked.name(), () -> unchecked.fused(kind, layout.getKey(), false));
                });
                double base = rows.get(0).medianMs();
                table.append(String.format(Locale.ROOT, "%-13s %-12s %10.3f %10.3f %7.2f %10.3f %7.2f%n", kind.label,
                        layout.getValue().label(), base, rows.get(1).medianMs(), rows.get(1).medianMs() / base,
                        rows.get(2).medianMs(), rows.get(2).medianMs() / base));
                for (Row row : rows.subList(1, 3)) {
                    if (row.medianMs() > 1.1 * base) {
                        slower.add(kind.label + " " + row.layout() + " " + row.impl());
                    }
                }
            }
        }
        out.println();
        out.print(table);
        out.println();
        out.println("more than 10% slower than " + other.name() + ": " + (slower.isEmpty() ? "none" : String.join(", ", slower)));
    }

    /**
     * What the gradient tools add to an Adam step over 1x10M on the fused path: clipping by the
     * total norm, an average of the weights, and the check for NaN and infinity (which
     * {@code NonFinite.APPLY} leaves out), each measured beside the plain step; with a copy and a
     * pass that only reads as many floats, for what one read costs on this machine.
     */
    private List<Row> tools(int rounds) throws Exception {
        Layout big = Layout.ONE_BIG;
        return measure(TOOLS, big, rounds, name -> true, false, makers -> {
            makers.put(COPY, () -> CopyBandwidth.stepper(big.count() * big.size()));
            makers.put(READ, () -> CopyBandwidth.reader(big.count() * big.size()));
            makers.put("anneal-fast", () -> Steppers.anneal(Kind.ADAM.anneal(), big, Execution.FUSED));
            makers.put("+clip", () -> Steppers.anneal(Optimizers.adam().lr(1e-3).clipGradNorm(1.0).build(), big, Execution.FUSED));
            makers.put("+ema", () -> Steppers.anneal(Optimizers.adam().lr(1e-3).ema(0.999).build(), big, Execution.FUSED));
            makers.put("-check", () -> Steppers.anneal(Optimizers.adam().lr(1e-3).onNonFinite(NonFinite.APPLY).build(), big,
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
        return measure(OFFLOAD, big, rounds, name -> name.equals("anneal-fast"), false, makers -> {
            makers.put("anneal-fast", () -> Steppers.anneal(Kind.ADAM, big, Execution.FUSED));
            makers.put("anneal-generic", () -> Steppers.anneal(Kind.ADAM, big, Execution.GENERIC));
            makers.put("anneal-offload", () -> Steppers.anneal(Kind.ADAM, big, Execution.OFFLOAD));
        });
    }

    /**
     * Muon over one 1024x1024 matrix beside the float32 products of its Newton-Schulz iteration
     * done by libtorch alone ({@code products}), and AdamW over the same matrix: Muon's step is
     * matrix products, so it is weighed against those rather than against the copy bandwidth.
     */
    private List<Row> muon(int rounds) throws Exception {
        Layout matrix = Layout.matrices(1, 1024, 1024);
        Hyperparams defaults = Muon.MUON.defaults();
        return measure(MUON, matrix, rounds, name -> name.equals("adamw"), false, makers -> {
            makers.put("anneal", () -> Steppers.anneal(Optimizers.muon().build(), matrix, Execution.FUSED));
            makers.put("products", () -> Steppers.newtonSchulzProducts(matrix, (int) defaults.start(Muon.NS_STEPS),
                    (float) defaults.start(Muon.NS_A), (float) defaults.start(Muon.NS_B), (float) defaults.start(Muon.NS_C)));
            makers.put("adamw", () -> Steppers.anneal(Kind.ADAMW, matrix, Execution.FUSED));
        });
    }

    /** Interleaved rounds: each round takes one step of every implementation, in rotating order. */
    private List<Row> steps(Kind kind, Layout layout, int rounds, TorchWorker torch, TorchWorker foreach)
            throws Exception {
        return measure(kind.label, layout, rounds, name -> name.equals("anneal-fast") || name.equals(COPY), false, makers -> {
            if (layout == Layout.ONE_BIG) {
                makers.put(COPY, () -> CopyBandwidth.stepper(layout.count() * layout.size()));
            }
            makers.put("anneal-fast", () -> Steppers.anneal(kind, layout, Execution.FUSED));
            makers.put("anneal-generic", () -> Steppers.anneal(kind, layout, Execution.GENERIC));
            if (kind.djl() != null) {
                makers.put("djl", () -> Steppers.djl(kind, layout));
            }
            if (torch != null && kind.inTorch()) {
                makers.put("torch", () -> torch.setup(kind, layout));
                makers.put("torch-foreach", () -> foreach.setup(kind, layout));
            }
        });
    }

    /** Puts how to make each implementation's stepper into the map, in the order they are reported. */
    private interface Setup {
        void fill(Map<String, Maker> makers) throws Exception;
    }

    /** Makes one implementation's stepper: parameters, gradients and state, ready to step. */
    private interface Maker {
        Stepper make() throws Exception;
    }

    /**
     * Steps what {@code setup} makes in interleaved rounds, after warming up those the JIT
     * compiles ({@code jitted}), then closes them all. With {@code everyOrder} the rounds are split
     * into one share per implementation, each made anew in its own rotated order: the stepper made
     * first was 10% faster over thousands of small tensors than the same code made after it, so
     * builds compared with one another each get every place once.
     */
    private List<Row> measure(String label, Layout layout, int rounds, Predicate<String> jitted, boolean everyOrder,
                              Setup setup) throws Exception {
        Map<String, Maker> makers = new LinkedHashMap<>();
        setup.fill(makers);
        List<String> names = new ArrayList<>(makers.keySet());
        int orders = everyOrder ? names.size() : 1;
        int share = (rounds + orders - 1) / orders;
        Map<String, double[]> samples = new LinkedHashMap<>();
        names.forEach(n -> samples.put(n, new double[share * orders]));
        for (int order = 0; order < orders; order++) {
            Map<String, Stepper> steppers = new LinkedHashMap<>();
            try {
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get((k + order) % names.size());
                    steppers.put(name, makers.get(name).make());
                }
                // Measure steady state: the fast path's first steps are the JIT's, and its first
                // step defines gradients; the others are native and need little warming.
                for (String name : names.stream().filter(jitted).toList()) {
                    for (int i = 0; i < FAST_WARMUP; i++) {
                        steppers.get(name).step();
                    }
                }
                for (int r = -1; r < share; r++) { // round -1 warms up
                    for (int k = 0; k < names.size(); k++) {
                        String name = names.get(Math.floorMod(k + r, names.size()));
                        double ms = steppers.get(name).step();
                        if (r >= 0) {
                            samples.get(name)[order * share + r] = ms;
                        }
                    }
                }
            } finally {
                steppers.values().forEach(Stepper::close);
            }
        }
        List<Row> rows = new ArrayList<>();
        samples.forEach((name, values) -> rows.add(Row.of(label, layout.label(), name, values)));
        out.printf(Locale.ROOT, "%-13s %-11s %s%n", label, layout.label(), rows.stream()
                .map(row -> String.format(Locale.ROOT, "%s %.2f ms", row.impl(), row.medianMs()))
                .reduce((a, b) -> a + ", " + b).orElse(""));
        return rows;
    }

    /**
     * The rows with each one's ratio to its section's Anneal row on the same layout ({@code
     * anneal-fast}, or {@code anneal} where there is one path) and, for optimizer steps, the GB/s
     * their rule must move and its share of the copies beside them (or of {@code copy}).
     */
    private static String table(List<Row> rows, Double copy) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-13s %-12s %-15s %10s %9s %9s %10s %8s %7s%n",
                "optimizer", "layout", "impl", "median ms", "min ms", "max ms", "vs anneal", "GB/s", "% copy"));
        for (Row row : rows) {
            Row anneal = Optional.ofNullable(find(rows, row.optimizer(), row.layout(), "anneal-fast"))
                    .orElse(find(rows, row.optimizer(), row.layout(), "anneal"));
            double bytes = bytes(row);
            double gbps = bytes / (row.medianMs() / 1e3) / 1e9;
            Row copied = find(rows, row.optimizer(), row.layout(), COPY);
            Double bandwidth = copied != null ? bytes(copied) / (copied.medianMs() / 1e3) / 1e9 : copy;
            s.append(String.format(Locale.ROOT, "%-13s %-12s %-15s %10.3f %9.3f %9.3f %10s %8s %7s%n",
                    row.optimizer(), row.layout(), row.impl(), row.medianMs(), row.minMs(), row.maxMs(),
                    anneal == null ? "-" : String.format(Locale.ROOT, "%.2fx", row.medianMs() / anneal.medianMs()),
                    bytes > 0 ? String.format(Locale.ROOT, "%.1f", gbps) : "-",
                    bytes > 0 && bandwidth != null ? String.format(Locale.ROOT, "%.0f%%", 100 * gbps / bandwidth) : "-"));
        }
        return s.toString();
    }

    /**
     * The targets of the sections that ran, each with its measured ratio; none when no section
     * with a target ran. Steps over 1x10M weigh against the copies timed in the same rounds.
     */
    private static String checks(List<Row> rows) {
        StringBuilder s = new StringBuilder("targets:\n");
        String big = Layout.ONE_BIG.label();
        Row adamBig = find(rows, Kind.ADAM.label, big, "anneal-fast");
        check(s, adamBig, "adam " + big + ": anneal-fast / djl <= 0.5", ratio(rows, adamBig, "djl"), 0.5);
        check(s, adamBig, "adam " + big + ": anneal-fast / torch <= 1.0", ratio(rows, adamBig, "torch"), 1.0);
        check(s, adamBig, "adam " + big + ": anneal-fast / torch-foreach <= 1.0", ratio(rows, adamBig, "torch-foreach"), 1.0);
        checkShare(s, rows, Kind.ADAM);
        for (Kind kind : List.of(Kind.ADAM, Kind.SGD_MOMENTUM)) {
            Row small = find(rows, kind.label, Layout.MANY_SMALL.label(), "anneal-fast");
            for (String other : List.of("djl", "torch", "torch-foreach")) {
                check(s, small, kind.label + " " + Layout.MANY_SMALL.label() + ": anneal-fast / " + other + " <= 0.1",
                        ratio(rows, small, other), 0.1);
            }
        }
        // The torch.optim optimizers added with the catalogue: half torch's best, and 60% of the copies.
        for (Kind kind : List.of(Kind.RMSPROP, Kind.ADAGRAD, Kind.NADAM, Kind.RADAM, Kind.ADADELTA, Kind.ADAMAX, Kind.ASGD,
                Kind.RPROP)) {
            Row fused = find(rows, kind.label, big, "anneal-fast");
            Double torch = ratio(rows, fused, "torch");
            Double foreach = ratio(rows, fused, "torch-foreach");
            check(s, fused, kind.label + " " + big + ": anneal-fast / best torch <= 0.5",
                    torch == null || foreach == null ? null : Math.max(torch, foreach), 0.5);
            checkShare(s, rows, kind);
        }
        // A copy reads the tensor once and writes it once: one read is half a copy at copy bandwidth.
        Row copy = find(rows, TOOLS, big, COPY);
        Row plain = find(rows, TOOLS, big, "anneal-fast");
        Double reads = copy == null || plain == null ? null : copy.medianMs() / 2;
        check(s, plain, "adam " + big + " +clip: extra time / one read <= 1", extra(rows, plain, "+clip", reads), 1);
        // The average must read and write its own tensor (a copy, two reads); beyond that, one read.
        check(s, plain, "adam " + big + " +ema: extra time / one read <= 3", extra(rows, plain, "+ema", reads), 3);
        Row unchecked = find(rows, TOOLS, big, "-check");
        check(s, plain, "adam " + big + " finite check: extra time / one read <= 1",
                reads == null || unchecked == null ? null : (plain.medianMs() - unchecked.medianMs()) / reads, 1);
        Row loop = find(rows, LoopBench.LABEL, "lenet5-b32", "anneal");
        check(s, loop, "lenet step: anneal / djl <= 1.05", ratio(rows, loop, "djl"), 1.05);
        return s.length() == "targets:\n".length() ? "" : s.toString();
    }

    /** A fused step over 1x10M at 60% or more of the copy bandwidth beside it, counting its rule's bytes. */
    private static void checkShare(StringBuilder s, List<Row> rows, Kind kind) {
        String big = Layout.ONE_BIG.label();
        Row fused = find(rows, kind.label, big, "anneal-fast");
        Row copy = find(rows, kind.label, big, COPY);
        Double share = fused == null || copy == null ? null
                : bytes(fused) / fused.medianMs() / (bytes(copy) / copy.medianMs());
        check(s, fused, kind.label + " " + big + ": share of copy bandwidth >= 0.60", share, 0.6, true);
    }

    /** What a tool's row takes beyond the plain step, in reads of the tensor. */
    private static Double extra(List<Row> rows, Row plain, String tool, Double read) {
        Row with = find(rows, TOOLS, Layout.ONE_BIG.label(), tool);
        return with == null || read == null ? null : (with.medianMs() - plain.medianMs()) / read;
    }

    private static void check(StringBuilder s, Row measured, String what, Double ratio, double limit) {
        check(s, measured, what, ratio, limit, false);
    }

    /**
     * One target's line: its ratio against its limit (a floor when {@code atLeast}), or "not
     * measured" when a row it compares with is missing; none when its own row was not run.
     */
    private static void check(StringBuilder s, Row measured, String what, Double ratio, double limit, boolean atLeast) {
        if (measured == null) {
            return;
        }
        if (ratio == null) {
            s.append(String.format(Locale.ROOT, "  %-58s %6s  not measured%n", what, "-"));
        } else {
            boolean met = atLeast ? ratio >= limit : ratio <= limit;
            s.append(String.format(Locale.ROOT, "  %-58s %6.3f  %s%n", what, ratio, met ? "ok" : "MISSED"));
        }
    }

    private static Double ratio(List<Row> rows, Row row, String other) {
        Row base = row == null ? null : find(rows, row.optimizer(), row.layout(), other);
        return base == null ? null : row.medianMs() / base.medianMs();
    }

    private static Row find(List<Row> rows, String optimizer, String layout, String impl) {
        return rows.stream().filter(r -> r.optimizer().equals(optimizer) && r.layout().equals(layout)
                && r.impl().equals(impl)).findFirst().orElse(null);
    }

    /**
     * The bytes a row's step must read and write: its rule's streams, or a copy's read and write;
     * 0 for rows that are not element-wise steps.
     */
    private static double bytes(Row row) {
        Layout layout = Stream.of(Layout.ONE_BIG, Layout.MEDIUM, Layout.MANY_SMALL)
                .filter(l -> l.label().equals(row.layout())).findFirst().orElse(null);
        if (layout == null) {
            return 0;
        }
        double elements = (double) layout.count() * layout.size();
        if (row.impl().equals(COPY)) {
            return 8.0 * elements;
        }
        if (row.impl().equals(READ)) {
            return 4.0 * elements;
        }
        boolean adamRow = row.optimizer().equals(TOOLS) || row.optimizer().equals(OFFLOAD);
        return Arrays.stream(Kind.values()).filter(k -> k.label.equals(row.optimizer()) || adamRow && k == Kind.ADAM)
                .findFirst().map(k -> (double) k.bytesPerElement * elements).orElse(0.0);
    }

    private static void writeJson(Path file, List<Row> rows, Double copy) throws IOException {
        JsonObject root = new JsonObject();
        if (copy != null) {
            root.addProperty("copy_gbps", copy);
        }
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
