package dev.anneal.samples;

import dev.anneal.grad.LossScale;
import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.anneal.train.Accumulation;
import dev.anneal.train.Pipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What one run of the main job trains with, as the command line gives it. Both variants
 * ({@link FashionMnistLeNet}, {@link FashionMnistPipeline}) take the same settings, so an option
 * added here reaches both, and the header they print from it is the same text.
 *
 * @param dataDir     the folder with the four Fashion-MNIST files
 * @param epochs      passes over the training set
 * @param seed        seed for initialization and shuffling
 * @param checkpoints where to write a checkpoint after each epoch and resume from the newest one
 *                    found; null for none
 * @param clip        the total L2 norm the gradients are clipped to before each update
 *                    ({@code clip_grad_norm_}); null for no clipping
 * @param accumulate  batches per optimizer step, on the mean of their gradients
 *                    ({@link Accumulation}); 1 steps on every batch
 * @param lossScale   the loss scaling, {@link LossScale#none()} for none
 * @param precision   FLOAT32, or FLOAT16 for mixed precision (the model in float16, float32 masters)
 * @param runFolder   where to write the run's metrics, configuration, charts and diagnosis; null for none
 * @param device      where the model trains: the CPU, or a GPU DJL can use
 */
public record JobSettings(Path dataDir, int epochs, int seed, Path checkpoints, Double clip, int accumulate,
                          LossScale lossScale, DataType precision, Path runFolder, Device device) {
    public JobSettings {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(lossScale, "lossScale");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(device, "device");
    }

    /** The job as it runs with no other option. */
    public JobSettings(Path dataDir, int epochs, int seed) {
        this(dataDir, epochs, seed, null, null, Accumulation.DEFAULT_BATCHES, LossScale.none(), Pipeline.DEFAULT_PRECISION,
                null, Device.cpu());
    }

    public JobSettings withCheckpoints(Path dir) {
        return new JobSettings(dataDir, epochs, seed, dir, clip, accumulate, lossScale, precision, runFolder, device);
    }

    public JobSettings withClip(Double maxNorm) {
        return new JobSettings(dataDir, epochs, seed, checkpoints, maxNorm, accumulate, lossScale, precision, runFolder, device);
    }

    public JobSettings withAccumulate(int batches) {
        return new JobSettings(dataDir, epochs, seed, checkpoints, clip, batches, lossScale, precision, runFolder, device);
    }

    public JobSettings withLossScale(LossScale scale) {
        return new JobSettings(dataDir, epochs, seed, checkpoints, clip, accumulate, scale, precision, runFolder, device);
    }

    public JobSettings withRunFolder(Path dir) {
        return new JobSettings(dataDir, epochs, seed, checkpoints, clip, accumulate, lossScale, precision, dir, device);
    }

    public JobSettings withDevice(Device where) {
        return new JobSettings(dataDir, epochs, seed, checkpoints, clip, accumulate, lossScale, precision, runFolder, where);
    }

    public JobSettings withPrecision(DataType type) {
        return new JobSettings(dataDir, epochs, seed, checkpoints, clip, accumulate, lossScale, type, runFolder, device);
    }

    /**
     * The training options in effect beyond the recipe, as the header ends with them
     * ({@code ", clip 1.0, accumulate 4, dynamic loss scale"}); empty when there are none.
     */
    public String options() {
        List<String> parts = new ArrayList<>();
        if (clip != null) {
            parts.add("clip " + clip);
        }
        if (accumulate != Accumulation.DEFAULT_BATCHES) {
            parts.add("accumulate " + accumulate);
        }
        if (lossScale.equals(LossScale.dynamic())) {
            parts.add("dynamic loss scale");
        } else if (lossScale.equals(LossScale.fixed(lossScale.initScale(), true))) {
            parts.add("fixed loss scale " + lossScale.initScale());
        } else if (lossScale.scales()) {
            parts.add("loss scale " + lossScale); // not one the command line gives
        }
        if (precision != Pipeline.DEFAULT_PRECISION) {
            parts.add(precision.toString().toLowerCase(java.util.Locale.ROOT) + " with float32 masters");
        }
        if (!device.equals(Device.cpu())) {
            parts.add("on " + device);
        }
        return parts.stream().map(p -> ", " + p).reduce("", String::concat);
    }
}
