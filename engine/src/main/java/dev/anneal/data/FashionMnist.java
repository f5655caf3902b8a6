package dev.anneal.data;

import ai.djl.ndarray.NDManager;
import dev.anneal.config.InvalidConfigException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017) from a directory of the four standard IDX
 * {@code .gz} files, such as the one Debian's {@code dataset-fashion-mnist} package installs.
 */
public final class FashionMnist {
    /** Where Debian's {@code dataset-fashion-mnist} puts the files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private static final List<String> FILES = List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");

    private FashionMnist() {
    }

    /** The training or the test split. */
    public enum Split {
        TRAIN("train"), TEST("t10k");

        private final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    /** The four file names. */
    public static List<String> files() {
        return FILES;
    }

    /** Whether {@code dir} holds the four files. */
    public static boolean isIn(Path dir) {
        return missing(dir).isEmpty();
    }

    /** Those of the four files that {@code dir} lacks. */
    public static List<String> missing(Path dir) {
        return FILES.stream().filter(f -> !Files.isRegularFile(dir.resolve(f))).toList();
    }

    /** The first of {@code candidates} that holds the four files. */
    public static Optional<Path> find(List<Path> candidates) {
        return candidates.stream().filter(FashionMnist::isIn).findFirst();
    }

    /**
     * Debian's full set when installed, else the subset shipped in Anneal's sources,
     * {@code samples/data/fashion-mnist}: under the launcher's {@code anneal.home}, or from a
     * working directory at the repository's root or in {@code samples}.
     */
    public static Path defaultDir() {
        List<Path> candidates = new ArrayList<>();
        candidates.add(DEBIAN_DIR);
        String home = System.getProperty("anneal.home");
        if (home != null) {
            candidates.add(Path.of(home, "samples", "data", "fashion-mnist"));
        }
        candidates.add(Path.of("samples", "data", "fashion-mnist"));
        candidates.add(Path.of("data", "fashion-mnist"));
        return find(candidates).orElse(candidates.get(candidates.size() - 1));
    }

    /** A split as a dataset batched by {@code batchSize}, in file order. */
    public static IdxDataset load(Path dir, Split split, NDManager manager, int batchSize) throws IOException {
        return builder(dir, split, manager).setSampling(batchSize, false).build();
    }

    /** A split batched by {@code batchSize}, each epoch in its own order set by {@code seed} ({@link EpochShuffle}). */
    public static IdxDataset loadShuffled(Path dir, Split split, NDManager manager, int batchSize, long seed)
            throws IOException {
        return builder(dir, split, manager).shuffle(batchSize, seed).build();
    }

    /**
     * Replica {@code rank}'s share of a split for data-parallel training over {@code workers}
     * replicas, each taking {@code batchSize} rows of every global batch ({@link RankSlices}).
     */
    public static IdxDataset loadShard(Path dir, Split split, NDManager manager, int batchSize, long seed, int rank,
                                       int workers) throws IOException {
        return builder(dir, split, manager).shard(batchSize, seed, rank, workers).build();
    }

    private static IdxDataset.Builder builder(Path dir, Split split, NDManager manager) throws IOException {
        if (!isIn(dir)) {
            throw new InvalidConfigException(dir.toString(), "does not hold Fashion-MNIST: expected the files "
                    + String.join(", ", FILES));
        }
        return IdxDataset.builder()
                .images(dir.resolve(split.prefix + "-images-idx3-ubyte.gz"))
                .labels(dir.resolve(split.prefix + "-labels-idx1-ubyte.gz"))
                .manager(manager);
    }
}
