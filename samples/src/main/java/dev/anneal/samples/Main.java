package dev.anneal.samples;

import dev.anneal.data.FashionMnist;

import java.nio.file.Path;

/** Entry point of the {@code anneal} launcher. */
public final class Main {
    private static final String USAGE = """
            usage: anneal [--epochs N] [--data DIR] [--seed N] [--checkpoints DIR] [--java]
                   anneal schedule '<schedule>' --steps N [--csv FILE] [--png FILE]   (see anneal schedule --help)
                   anneal gan [EPOCHS]          a GAN on a 1-D Gaussian mixture: two optimizers, one model
                   anneal bench [--quick] [--json FILE]

            Trains LeNet-5 on Fashion-MNIST (MindSpore's tutorial recipe) and prints the test accuracy.
              --epochs N   passes over the training set (default 10)
              --data DIR   directory with the four Fashion-MNIST IDX .gz files; by default Debian's
                           dataset-fashion-mnist if installed, else the subset shipped in samples/data
              --seed N     seed for initialization and shuffling (default 42); the same seed gives the same numbers
              --checkpoints DIR
                           write a checkpoint into DIR after each epoch (the newest 3 stay), and resume
                           from the newest one there: run again with more --epochs to continue
              --java       run the same job written with the Java builders instead of the Kotlin pipeline
            """;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("gan")) {
            GaussianMixtureGan.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("schedule")) {
            System.exit(ScheduleCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        int epochs = 10;
        int seed = 42;
        boolean java = false;
        Path data = null;
        Path checkpoints = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--epochs" -> epochs = positiveInt(arg, value(args, ++i, arg));
                case "--seed" -> seed = parseInt(arg, value(args, ++i, arg));
                case "--data" -> data = Path.of(value(args, ++i, arg));
                case "--checkpoints" -> checkpoints = Path.of(value(args, ++i, arg));
                case "--java" -> java = true;
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    return;
                }
                default -> fail("unknown argument " + arg);
            }
        }
        Path dir = data != null ? data : FashionMnist.defaultDir();
        if (!FashionMnist.isIn(dir)) {
            fail(dir + " does not hold the four Fashion-MNIST files (train-images-idx3-ubyte.gz, ...)");
        }
        if (java) {
            new FashionMnistLeNet(dir, epochs, seed, System.out, checkpoints).run();
        } else {
            new FashionMnistPipeline(dir, epochs, seed, System.out, checkpoints).run();
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            fail(flag + " needs a value");
        }
        return args[i];
    }

    private static int parseInt(String flag, String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            fail(flag + " must be an integer, got " + text);
            return 0;
        }
    }

    private static int positiveInt(String flag, String text) {
        int value = parseInt(flag, text);
        if (value < 1) {
            fail(flag + " must be at least 1, got " + value);
        }
        return value;
    }

    private static void fail(String message) {
        System.err.println("anneal: " + message);
        System.err.print(USAGE);
        System.exit(2);
    }
}
