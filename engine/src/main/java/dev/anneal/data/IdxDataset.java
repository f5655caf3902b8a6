package dev.anneal.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.RandomAccessDataset;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * Images and labels in the IDX format of MNIST and Fashion-MNIST (plain or gzip-compressed),
 * as a DJL dataset: images become float32 {@code (N, 1, H, W)} scaled to [0, 1], labels float32
 * class indices, as DJL's own MNIST datasets give them.
 *
 * <p>IDX (LeCun et al., http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code (0x08 for
 * unsigned bytes), the number of dimensions, each dimension as a big-endian int, then the data.
 */
public final class IdxDataset extends ArrayDataset implements EpochAware {
    private static final int UNSIGNED_BYTE = 0x08;

    private final EpochShuffle shuffle;

    private IdxDataset(Builder builder, NDArray images, NDArray labels) {
        super(builder);
        this.data = new NDArray[] {images};
        this.labels = new NDArray[] {labels};
        this.shuffle = builder.shuffle;
    }

    /** Sets the epoch of a {@link Builder#shuffle shuffled} set; a set in file order has one order. */
    @Override
    public void startEpoch(int epoch) {
        if (shuffle != null) {
            shuffle.startEpoch(epoch);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Batches in one pass over the set, from its sampler: no batch is made to count them. */
    public long batchesPerEpoch() {
        long count = 0;
        for (var batch = sampler.sample(this); batch.hasNext(); batch.next()) {
            count++;
        }
        return count;
    }

    /** An IDX file's dimensions and unsigned-byte contents. */
    public record IdxArray(long[] shape, byte[] data) {
    }

    /** Reads an IDX file of unsigned bytes; a {@code .gz} name is decompressed on the way. */
    public static IdxArray read(Path file) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             DataInputStream in = new DataInputStream(file.toString().endsWith(".gz")
                     ? new GZIPInputStream(raw, 1 << 16) : raw)) {
            int zero = in.readUnsignedShort();
            int type = in.readUnsignedByte();
            int dims = in.readUnsignedByte();
            if (zero != 0 || type != UNSIGNED_BYTE || dims == 0) {
                throw new IOException(file + " is not an IDX file of unsigned bytes (magic "
                        + String.format("0x%04x%02x%02x", zero, type, dims) + ", expected 0x000008nn)");
            }
            long[] shape = new long[dims];
            long size = 1;
            for (int i = 0; i < dims; i++) {
                shape[i] = in.readInt() & 0xffffffffL;
                size = shape[i] > (Integer.MAX_VALUE - 8) / Math.max(size, 1) ? Long.MAX_VALUE : size * shape[i];
            }
            if (size > Integer.MAX_VALUE - 8) {
                throw new IOException(file + " declares dimensions " + Arrays.toString(shape)
                        + ", more values than one array can hold");
            }
            byte[] data = new byte[(int) size];
            try {
                in.readFully(data);
            } catch (EOFException e) {
                throw new IOException(file + " is truncated: its header promises " + size + " values", e);
            }
            if (in.read() != -1) {
                throw new IOException(file + " has data past the " + size + " values its header declares");
            }
            return new IdxArray(shape, data);
        }
    }

    /** Builds an {@link IdxDataset}; set the two files, the manager, and the sampling. */
    public static final class Builder extends RandomAccessDataset.BaseBuilder<Builder> {
        private Path images;
        private Path labels;
        private NDManager manager;
        private EpochShuffle shuffle;

        @Override
        protected Builder self() {
            return this;
        }

        /** Batches of {@code batchSize} in an order set by {@code seed} and the epoch ({@link EpochShuffle}). */
        public Builder shuffle(int batchSize, long seed) {
            shuffle = new EpochShuffle(seed);
            return setSampling(new BatchSampler(shuffle, batchSize));
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

        public IdxDataset build() throws IOException {
            Objects.requireNonNull(images, "images");
            Objects.requireNonNull(labels, "labels");
            Objects.requireNonNull(manager, "manager");
            IdxArray x = read(images);
            IdxArray y = read(labels);
            if (x.shape().length != 3 || y.shape().length != 1 || x.shape()[0] != y.shape()[0]) {
                throw new IOException("expected images (N, H, W) and labels (N), got " + Arrays.toString(x.shape())
                        + " in " + images + " and " + Arrays.toString(y.shape()) + " in " + labels);
            }
            long n = x.shape()[0];
            NDArray imageArray;
            try (NDArray bytes = manager.create(ByteBuffer.wrap(x.data()), new Shape(n, 1, x.shape()[1], x.shape()[2]),
                    DataType.UINT8)) {
                imageArray = bytes.toType(DataType.FLOAT32, false).divi(255f);
            }
            NDArray labelArray;
            try (NDArray bytes = manager.create(ByteBuffer.wrap(y.data()), new Shape(n), DataType.UINT8)) {
                labelArray = bytes.toType(DataType.FLOAT32, false);
            }
            return new IdxDataset(this, imageArray, labelArray);
        }
    }
}
