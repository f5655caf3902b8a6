package dev.anneal.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.RandomAccessDataset;
import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Images and labels in the IDX format of MNIST and Fashion-MNIST (plain or gzip-compressed),
 * as a DJL dataset: images become float32 {@code (N, 1, H, W)} scaled to [0, 1], labels float32
 * class indices, as DJL's own MNIST datasets give them.
 *
 * <p>IDX (LeCun et al., http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code (0x08 for
 * unsigned bytes), the number of dimensions, each dimension as a big-endian int, then the data.
 */
public final class IdxDataset extends ArrayDataset implements EpochAware, Examples {
    private static final int UNSIGNED_BYTE = 0x08;

    /** The epoch-dependent order, shuffled or sharded; null in file order. */
    private final EpochAware order;
    private final String source;
    private final Shape exampleShape;
    private final long classesNeeded;
    private final boolean smallerBatchAllowed;

    private IdxDataset(Builder builder, NDArray images, NDArray labels, long classesNeeded) {
        super(builder);
        this.data = new NDArray[] {images};
        this.labels = new NDArray[] {labels};
        this.order = builder.order;
        this.source = builder.images + " and " + builder.labels;
        this.exampleShape = images.getShape().slice(1);
        this.classesNeeded = classesNeeded;
        this.smallerBatchAllowed = builder.smallerBatchAllowed;
    }

    /** Sets the epoch of a {@link Builder#shuffle shuffled} or {@link Builder#shard sharded} set; a set in file order has one order. */
    @Override
    public void startEpoch(int epoch) {
        if (order != null) {
            order.startEpoch(epoch);
        }
    }

    /** This replica's share of a data-parallel run's batches, for a {@link Builder#shard sharded} set. */
    public Optional<RankSlices> shard() {
        return order instanceof RankSlices slices ? Optional.of(slices) : Optional.empty();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String source() {
        return source;
    }

    /** {@code (1, H, W)}; unknown when a transform may change it. */
    @Override
    public Optional<Shape> exampleShape() {
        return pipeline == null ? Optional.of(exampleShape) : Optional.empty();
    }

    @Override
    public long classesNeeded() {
        return classesNeeded;
    }

    @Override
    public OptionalInt batchSize() {
        return sampler instanceof BatchSampler || sampler instanceof RankSlices
                ? OptionalInt.of(sampler.getBatchSize()) : OptionalInt.empty();
    }

    @Override
    public boolean smallerBatchAllowed() {
        return smallerBatchAllowed;
    }

    /** Batches in one pass over the set, from its sampler: no batch is made to count them. */
    public long batchesPerEpoch() {
        if (sampler instanceof RankSlices slices) {
            return slices.batches(size());
        }
        long count = 0;
        for (var batch = sampler.sample(this); batch.hasNext(); batch.next()) {
            count++;
        }
        return count;
    }

    /** An IDX file's dimensions and unsigned-byte contents. */
    public record IdxArray(long[] shape, byte[] data) {
    }

    /** The largest number of values {@link #read} accepts: the most one Java array holds. */
    static final long MAX_VALUES = Integer.MAX_VALUE - 8;
    /** Deflate expands at most about 1032 to 1: a gzip file declaring more than this is refused unread. */
    private static final long GZIP_MAX_RATIO = 1100;

    /**
     * Reads an IDX file of unsigned bytes; a {@code .gz} name is decompressed on the way. Its header
     * is checked against the file before anything is allocated: a wrong magic, a file shorter or
     * longer than its header declares, or a gzip stream that is damaged or ends early is an
     * {@link InvalidConfigException} naming the file. Only what the file holds is ever read into
     * memory, whatever its header says.
     */
    public static IdxArray read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw bad(file, Files.exists(file) ? "is not a regular file" : "does not exist");
        }
        boolean gzip = file.toString().endsWith(".gz");
        long fileSize = Files.size(file);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             DataInputStream in = new DataInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw)) {
            long[] shape = header(file, in);
            long size = 1;
            for (long d : shape) {
                size = d != 0 && size > MAX_VALUES / d ? MAX_VALUES + 1 : size * d;
            }
            String declared = "its header declares dimensions " + Arrays.toString(shape);
            if (size > MAX_VALUES) {
                throw bad(file, declared + ", more values than one array can hold (" + MAX_VALUES + ")");
            }
            long headerBytes = 4 + 4L * shape.length;
            if (!gzip && fileSize - headerBytes != size) {
                throw bad(file, (fileSize - headerBytes < size ? "is truncated: " : "has data past its end: ") + declared
                        + ", " + size + " values, but " + (fileSize - headerBytes) + " bytes follow the header");
            }
            if (gzip && size > fileSize * GZIP_MAX_RATIO) {
                throw bad(file, "is truncated: " + declared + ", " + size + " values, more than a gzip file of "
                        + fileSize + " bytes can hold");
            }
            long heap = Runtime.getRuntime().maxMemory();
            if (size > heap / 2) {
                throw bad(file, declared + ", " + size + " values, more than this JVM's memory can hold (maximum heap "
                        + heap + " bytes); run it with a larger -Xmx");
            }
            // readNBytes grows its buffer as data arrives: a header that lies costs no memory.
            byte[] data = in.readNBytes((int) size);
            if (data.length < size) {
                throw bad(file, "is truncated: " + declared + ", " + size + " values, but it holds " + data.length);
            }
            if (in.read() != -1) {
                throw bad(file, "has data past its end: " + declared + ", " + size + " values, and more follow");
            }
            return new IdxArray(shape, data);
        } catch (ZipException | EOFException e) {
            // The content, not the disk: a damaged or cut gzip stream.
            throw bad(file, "is a damaged or truncated gzip file ("
                    + (e.getMessage() != null ? e.getMessage() : "it ends early") + ")");
        } catch (InvalidConfigException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The magic (two zero bytes, type 0x08, the number of dimensions) and the dimensions. */
    private static long[] header(Path file, DataInputStream in) throws IOException {
        byte[] magic = in.readNBytes(4);
        if (magic.length < 4 || magic[0] != 0 || magic[1] != 0 || magic[2] != UNSIGNED_BYTE || magic[3] == 0) {
            StringBuilder hex = new StringBuilder("0x");
            for (byte b : magic) {
                hex.append(String.format("%02x", b & 0xff));
            }
            throw bad(file, "is not an IDX file of unsigned bytes (magic " + hex
                    + ", expected 0x000008nn with nn the number of dimensions, at least 1)");
        }
        long[] shape = new long[magic[3] & 0xff];
        byte[] dims = in.readNBytes(4 * shape.length);
        if (dims.length < 4 * shape.length) {
            throw bad(file, "is truncated: its header declares " + shape.length + " dimensions but ends after "
                    + dims.length / 4);
        }
        for (int i = 0; i < shape.length; i++) {
            shape[i] = ByteBuffer.wrap(dims, 4 * i, 4).getInt() & 0xffffffffL;
        }
        return shape;
    }

    private static InvalidConfigException bad(Path file, String problem) {
        return new InvalidConfigException(file.toString(), problem);
    }

    /** Builds an {@link IdxDataset}; set the two files, the manager, and the sampling. */
    public static final class Builder extends RandomAccessDataset.BaseBuilder<Builder> {
        private Path images;
        private Path labels;
        private NDManager manager;
        private EpochAware order;
        private boolean smallerBatchAllowed;

        @Override
        protected Builder self() {
            return this;
        }

        /** Batches of {@code batchSize} in an order set by {@code seed} and the epoch ({@link EpochShuffle}). */
        public Builder shuffle(int batchSize, long seed) {
            EpochShuffle shuffle = new EpochShuffle(seed);
            order = shuffle;
            return setSampling(new BatchSampler(shuffle, batchSize));
        }

        /**
         * Replica {@code rank}'s share of a data-parallel run over {@code workers} replicas: its
         * slice of each global batch of {@code workers × batchSize} in the order {@code seed}
         * gives each epoch ({@link RankSlices}).
         */
        public Builder shard(int batchSize, long seed, int rank, int workers) {
            RankSlices slices = new RankSlices(seed, batchSize, rank, workers);
            order = slices;
            return setSampling(slices);
        }

        public Builder images(Path file) {
            this.images = file;
            return this;
        }

        public Builder labels(Path file) {
            this.labels = file;
            return this;
        }

        /** The manager that will own the dataset's arrays. */
        public Builder manager(NDManager manager) {
            this.manager = manager;
            return this;
        }

        /**
         * Accepts a batch size larger than the data: every epoch is then one batch of all the
         * examples. Without it a training loop refuses such a set, which is usually a mistake.
         */
        public Builder allowBatchLargerThanData() {
            this.smallerBatchAllowed = true;
            return this;
        }

        /**
         * Reads both files and checks them against each other before making any array: images
         * {@code (N, H, W)}, labels {@code (N)}, at least one example.
         */
        public IdxDataset build() throws IOException {
            Checks c = new Checks("idxDataset");
            c.require(images != null, "images", "is required: images(path)");
            c.require(labels != null, "labels", "is required: labels(path)");
            c.require(manager != null, "manager", "is required: manager(ndManager)");
            c.require(sampler != null, "sampling", "is required: setSampling(batchSize, random) or shuffle(batchSize, seed)");
            if (sampler instanceof BatchSampler batches) {
                // DJL's sampler makes empty batches forever at 0.
                c.require(batches.getBatchSize() >= 1, "batchSize", "must be at least 1, got " + batches.getBatchSize());
            }
            c.throwIfAny();
            IdxArray x = read(images);
            IdxArray y = read(labels);
            if (x.shape().length != 3 || y.shape().length != 1 || x.shape()[0] != y.shape()[0]) {
                throw new InvalidConfigException(images + " and " + labels, "must hold images (N, H, W) and labels (N),"
                        + " got " + Arrays.toString(x.shape()) + " and " + Arrays.toString(y.shape()));
            }
            long n = x.shape()[0];
            if (x.data().length == 0) {
                throw new InvalidConfigException(images.toString(), (n == 0 ? "holds no examples" : "holds empty images")
                        + ": its header declares dimensions " + Arrays.toString(x.shape()));
            }
            int classes = 0;
            for (byte label : y.data()) {
                classes = Math.max(classes, (label & 0xff) + 1);
            }
            NDArray imageArray;
            try (NDArray bytes = manager.create(ByteBuffer.wrap(x.data()), new Shape(n, 1, x.shape()[1], x.shape()[2]),
                    DataType.UINT8)) {
                imageArray = bytes.toType(DataType.FLOAT32, false).divi(255f);
            }
            NDArray labelArray;
            try (NDArray bytes = manager.create(ByteBuffer.wrap(y.data()), new Shape(n), DataType.UINT8)) {
                labelArray = bytes.toType(DataType.FLOAT32, false);
            }
            return new IdxDataset(this, imageArray, labelArray, classes);
        }
    }
}
