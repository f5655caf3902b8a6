package dev.anneal.samples;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.config.Shown;
import dev.anneal.data.FashionMnist;
import dev.anneal.grad.LossScale;
import dev.anneal.samples.CommandLine.Option;
import dev.anneal.terminal.Terminal;
import dev.anneal.train.Accumulation;
import dev.anneal.train.Devices;
import dev.anneal.train.HalfPrecision;
import dev.anneal.train.Pipeline;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Entry point of the {@code anneal} launcher. A mistake in the arguments, or in the files they
 * name, prints one line naming the option and exits with status 2, before any training starts.
 */
public final class Main {
    static final int DEFAULT_EPOCHS = 10;
    static final int DEFAULT_SEED = 42;
    /**
     * One step per epoch of the full training set (60,000 images): a larger K would step as this
     * one does, on each epoch's end and its mean, since an epoch's partial group is stepped on.
     */
    static final int MAX_ACCUMULATE = 60_000 / FashionMnistLeNet.BATCH_SIZE;
    /** Replicas of one machine's local-cluster, each its own JVM. */
    static final int MAX_WORKERS = 16;

    static final List<Option> OPTIONS = List.of(
            new Option("--epochs", "N", "passes over the training set, 1 to " + Integer.MAX_VALUE + " (default "
                    + DEFAULT_EPOCHS + ")"),
            new Option("--data", "DIR", "folder with the four Fashion-MNIST IDX .gz files; by default Debian's"
                    + " dataset-fashion-mnist if installed, else the subset shipped in samples/data"),
            new Option("--seed", "N", "seed for initialization and shuffling, " + Integer.MIN_VALUE + " to "
                    + Integer.MAX_VALUE + " (default " + DEFAULT_SEED + "); the same seed gives the same numbers"),
            new Option("--checkpoints", "DIR", "write a checkpoint into DIR after each epoch (the newest 3 stay), and"
                    + " resume from the newest one there: run again with more --epochs to continue; DIR is created"
                    + " if missing"),
            new Option("--out", "DIR", "write the run's folder into DIR: metrics.csv and metrics.jsonl (a row per"
                    + " 10 steps and per epoch), config.json, PNG charts of the losses, the validation accuracy and the"
                    + " learning rate, diagnosis.txt, and the checkpoints best.anneal (the epoch of the lowest test loss)"
                    + " and final.anneal; DIR is created if missing (default: none)"),
            new Option("--clip", "MAXNORM", "clip the gradients to this total L2 norm before each update, as PyTorch's"
                    + " clip_grad_norm_: a positive number from " + CommandLine.SMALLEST + " to " + CommandLine.LARGEST
                    + " (default: no clipping)"),
            new Option("--accumulate", "K", "take one optimizer step per K batches, on the mean of their gradients (as"
                    + " one batch K times as large), 1 to " + MAX_ACCUMULATE + ", which is one step per epoch of the full"
                    + " training set (default 1: a step per batch)"),
            new Option("--loss-scale", "SCALE", "multiply the loss by a scale before each backward pass and divide it out"
                    + " of the gradients, dropping a step whose gradients overflow: dynamic for PyTorch's GradScaler ("
                    + (long) LossScale.DEFAULT_INIT_SCALE + ", halved on an overflow, doubled after "
                    + LossScale.DEFAULT_GROWTH_INTERVAL + " good steps), or a fixed positive number from "
                    + CommandLine.SMALLEST + " to " + CommandLine.LARGEST + " (default: no scaling)"),
            new Option("--device", "DEVICE", "cpu (default), gpu or gpu:N: where the model trains; a GPU needs the -Pcuda"
                    + " build and a CUDA 12.8 runtime, and one DJL cannot use is refused before training"),
            new Option("--precision", "TYPE", "fp32 (default) or fp16: mixed precision, LeNet-5 trained in float16 while"
                    + " the optimizer updates float32 master weights; give it --loss-scale dynamic"),
            Option.flag("--java", "run the same job written with the Java builders instead of the Kotlin pipeline"),
            new Option("--workers", "N", "train data-parallel on N Spark workers on this machine (local-cluster), 2 to "
                    + MAX_WORKERS + ", each on batch " + FashionMnistLeNet.BATCH_SIZE + " of every global batch of N x "
                    + FashionMnistLeNet.BATCH_SIZE + ", as one worker on the global batch; takes --epochs, --data,"
                    + " --seed, --checkpoints, --clip and --accumulate"));
    /** What --workers does not take yet. */
    private static final List<String> NOT_DATA_PARALLEL = List.of("--out", "--java", "--loss-scale", "--precision",
            "--device");

    static final String USAGE = """
            usage: anneal [--epochs N] [--data DIR] [--seed N] [--checkpoints DIR] [--out DIR] [--java]
                          [--clip MAXNORM] [--accumulate K] [--loss-scale SCALE] [--precision TYPE] [--device DEVICE]
                          [--workers N]
                   anneal schedule '<schedule>' --steps N [--steps-per-epoch N] [--csv FILE [--every N]] [--png FILE]
                   anneal run FILE.main.kts [ARGS...]      run a pipeline written as a Kotlin script
                   anneal gan [EPOCHS]     a GAN on a 1-D Gaussian mixture: two optimizers, one model (default %d epochs)
                   anneal bench [--quick] [--json FILE]    optimizer and training-loop benchmarks
                   anneal bench --against REV              fused steps beside git revision REV's (bench --help)
                   anneal generate [--check]               rewrite the optimizers' builders and DSL from their declarations
                   anneal test                             run the test suite (mvn -B verify)

            Trains LeNet-5 on Fashion-MNIST (MindSpore's tutorial recipe) and prints the test accuracy.
            %s
            anneal schedule previews a schedule written as in the Kotlin DSL (anneal schedule --help):
            %s
            A mistake in the arguments prints one line naming the option and exits with status 2.
            """.formatted(GaussianMixtureGan.DEFAULT_EPOCHS, CommandLine.describe(OPTIONS),
            CommandLine.describe(ScheduleCommand.OPTIONS));

    private static final String GAN_USAGE = """
            usage: anneal gan [EPOCHS]

            Trains a GAN on a 1-D mixture of two Gaussians, EPOCHS (1 to %d, default %d) passes over 4096 samples.
            """.formatted(Integer.MAX_VALUE, GaussianMixtureGan.DEFAULT_EPOCHS);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        // Terminal.out follows System.out, which a progress bar routes around its line.
        int status = run(args, Terminal.out(), System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the command {@code args} asks for; returns the exit status, 2 for a mistake in them. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args;
        if (args.length > 0 && args[0].equals("schedule")) {
            return ScheduleCommand.run(rest, out, err);
        }
        if (args.length > 0 && args[0].equals("gan")) {
            return CommandLine.guarded("anneal gan", err, () -> gan(rest, out));
        }
        return CommandLine.guarded("anneal", err, () -> train(args, out));
    }

    private static int train(String[] args, PrintStream out) throws Exception {
        CommandLine line = CommandLine.parse(args, OPTIONS);
        if (line.help()) {
            out.print(USAGE);
            return 0;
        }
        DataParallelJob parallel = line.has("--workers") ? dataParallel(line) : null; // refused before any folder is made
        JobSettings job = job(line);
        if (parallel != null) {
            parallel.run(job, line.integer("--workers", 1, 2, MAX_WORKERS), out);
        } else if (line.flag("--java")) {
            new FashionMnistLeNet(job, out).run();
        } else {
            new FashionMnistPipeline(job, out).run();
        }
        return 0;
    }

    /** The data-parallel job, once --workers and the options beside it are checked. */
    private static DataParallelJob dataParallel(CommandLine line) {
        line.integer("--workers", 1, 2, MAX_WORKERS);
        for (String option : NOT_DATA_PARALLEL) {
            if (line.has(option)) {
                throw new InvalidConfigException(option, "is not available with --workers yet; --workers takes --epochs,"
                        + " --data, --seed, --checkpoints, --clip and --accumulate");
            }
        }
        return ServiceLoader.load(DataParallelJob.class).findFirst().orElseThrow(() -> new InvalidConfigException(
                "--workers", "needs the anneal-spark module on the classpath; ./anneal puts it there"));
    }

    /**
     * The job's settings from the main command's options, checked in order; the data folder is
     * checked, and the checkpoint folder made, only once every other option passed.
     */
    static JobSettings job(CommandLine line) {
        int epochs = line.integer("--epochs", DEFAULT_EPOCHS, 1, Integer.MAX_VALUE);
        int seed = line.integer("--seed", DEFAULT_SEED, Integer.MIN_VALUE, Integer.MAX_VALUE);
        Double clip = line.positive("--clip");
        int accumulate = line.integer("--accumulate", Accumulation.DEFAULT_BATCHES, 1, MAX_ACCUMULATE);
        LossScale lossScale = lossScale(line.text("--loss-scale"));
        DataType precision = precision(line.text("--precision"));
        Device device = device(line.text("--device"));
        Path data = dataDir(line.path("--data"));
        Path checkpoints = line.writableFolder("--checkpoints");
        Path runFolder = line.writableFolder("--out");
        return new JobSettings(data, epochs, seed).withCheckpoints(checkpoints).withRunFolder(runFolder).withClip(clip)
                .withAccumulate(accumulate).withLossScale(lossScale).withPrecision(precision).withDevice(device);
    }

    /** {@code --loss-scale}: GradScaler's dynamic scale, a fixed one, or none when not given. */
    private static LossScale lossScale(String text) {
        if (text == null) {
            return LossScale.none();
        }
        if (text.equals("dynamic")) {
            return LossScale.dynamic();
        }
        return LossScale.fixed(CommandLine.positive("--loss-scale", text, "dynamic or "),
                LossScale.DEFAULT_DROP_OVERFLOW_UPDATE);
    }

    /** {@code --device}: the CPU, or a GPU by index that DJL can use. */
    private static Device device(String text) {
        if (text == null || text.equals("cpu")) {
            return Device.cpu();
        }
        String must = "must be cpu, gpu or gpu:N, got " + Shown.quoted(text);
        if (!text.equals("gpu") && !text.startsWith("gpu:")) {
            throw new InvalidConfigException("--device", must);
        }
        Device gpu = Device.gpu(text.equals("gpu") ? 0 : (int) CommandLine.whole("--device", text.substring(4), 0, 1023));
        String unusable = Devices.unusable(gpu);
        if (unusable != null) {
            throw new InvalidConfigException("--device", "is " + gpu + ", which cannot be used: " + unusable);
        }
        return gpu;
    }

    /** {@code --precision}: float32, or float16 for mixed precision; bfloat16 is refused on the CPU. */
    private static DataType precision(String text) {
        if (text == null || text.equals("fp32")) {
            return Pipeline.DEFAULT_PRECISION;
        }
        if (text.equals("fp16")) {
            return DataType.FLOAT16;
        }
        throw new InvalidConfigException("--precision", text.equals("bf16")
                ? "bf16 " + HalfPrecision.BFLOAT16_ON_CPU + "; use fp16"
                : "must be fp32 or fp16, got " + Shown.quoted(text));
    }

    /** The folder given, or found, checked to hold the four files. */
    private static Path dataDir(Path given) {
        if (given == null) {
            Path found = FashionMnist.defaultDir();
            if (!FashionMnist.isIn(found)) {
                throw new InvalidConfigException("--data", "is needed: Fashion-MNIST is neither installed ("
                        + FashionMnist.DEBIAN_DIR + ") nor in samples/data/fashion-mnist");
            }
            return found;
        }
        String must = "must be a folder holding the four Fashion-MNIST files (" + String.join(", ", FashionMnist.files())
                + "), got " + Shown.quoted(given.toString());
        if (!Files.exists(given)) {
            throw new InvalidConfigException("--data", must + ", which does not exist");
        }
        if (!Files.isDirectory(given)) {
            throw new InvalidConfigException("--data", must + ", which is not a folder");
        }
        List<String> missing = FashionMnist.missing(given);
        if (!missing.isEmpty()) {
            throw new InvalidConfigException("--data", must + ", which lacks " + String.join(", ", missing));
        }
        return given;
    }

    private static int gan(String[] args, PrintStream out) {
        CommandLine line = CommandLine.parse(args, List.of(), "EPOCHS");
        if (line.help()) {
            out.print(GAN_USAGE);
            return 0;
        }
        String text = line.positional(0);
        int epochs = text == null ? GaussianMixtureGan.DEFAULT_EPOCHS
                : (int) CommandLine.whole("EPOCHS", text, 1, Integer.MAX_VALUE);
        new GaussianMixtureGan(DEFAULT_SEED, epochs, out).run();
        return 0;
    }
}
