package dev.anneal.grad;

import ai.djl.ndarray.NDArray;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.internal.FusedOps;
import dev.anneal.optim.ElementKernel;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.WeightAverage;
import dev.anneal.schedule.Duration;

import java.util.List;

/**
 * Stochastic weight averaging (Izmailov et al., 2018, "Averaging Weights Leads to Wider Optima
 * and Better Generalization"): the equal-weight running average of the weights that PyTorch's
 * {@code torch.optim.swa_utils.AveragedModel} keeps with its default {@code avg_fn} (1.13), kept
 * beside them as optimizer state ({@code "swa"}) and updated in the same pass, right after the
 * weights move. From a tensor's {@code start}-th update on, and then at every {@code every}-th
 * update, it takes its k-th average:
 *
 * <pre>
 * k = 1:  swa = w                                   (AveragedModel's first update_parameters copies)
 * k > 1:  swa = swa + (w - swa) / k                 (float32: subtract, divide by (float) k, add)
 * </pre>
 *
 * where {@code k = (count - start) / every + 1} for the tensor's {@code count}-th update, which
 * is PyTorch's {@code n_averaged + 1}: the average is the only state. Between those updates the
 * average stays as it is, and before {@code start} it has not begun (a swap leaves those weights in).
 *
 * <p>SWA usually starts late and averages once per epoch (PyTorch's example starts after 160 of
 * 300 epochs and calls {@code update_parameters} at each epoch's end). Both lengths are
 * {@link Duration}s: {@code Swa.EVERY_STEP.start(Duration.epochs(160)).every(Duration.epochs(1))}
 * averages at the end of epoch 160 and of every epoch after it. Epochs become updates once the
 * steps per epoch are known: a pipeline converts them from its data, as it does schedules, and a
 * spec compiled by hand needs {@code spec.withStepsPerEpoch(n)} first (or the lengths in steps:
 * {@code start(160 * stepsPerEpoch).every(stepsPerEpoch)}). With accumulation, an epoch is its
 * optimizer steps. Pair it with {@code SWALR.after(before, steps, swaLr)}, {@code steps} the same
 * start, for PyTorch's switch of the learning rate at {@code swa_start}.
 *
 * <p>As {@code AveragedModel} (with its default {@code use_buffers=False}), it averages parameters
 * only: batch-norm running statistics belong to the last weights, not to their average, so they
 * are recomputed for it with a pass over the training data ({@code dev.anneal.train.BatchNormStats},
 * PyTorch's {@code update_bn}), which the training loop does when it validates the average.
 * Counts are per tensor, as the optimizer's: a parameter frozen for a while, or added with a later
 * group, starts its average later.
 */
public final class Swa implements WeightAverage {
    /** The state array that holds the average. */
    public static final String STATE = "swa";
    /** From a tensor's first update: {@code update_parameters} after every step from the start. */
    public static final Duration DEFAULT_START = Duration.steps(1);
    /** Every update once started. */
    public static final Duration DEFAULT_EVERY = Duration.steps(1);
    /** The average of every update's weights from the first on. */
    public static final Swa EVERY_STEP = new Swa(DEFAULT_START, DEFAULT_EVERY);

    private static final String PATH = "optimizer.swa";
    private final Duration start;
    private final Duration every;

    private Swa(Duration start, Duration every) {
        this.start = start;
        this.every = every;
    }

    /** The first average at a tensor's {@code update}-th update (1 for its first). */
    public Swa start(long update) {
        return start(steps("start", update));
    }

    /** The first average after {@code start} of training: {@code Duration.epochs(160)} is at the end of epoch 160. */
    public Swa start(Duration start) {
        return new Swa(java.util.Objects.requireNonNull(start, "start"), every);
    }

    /** An average at every {@code updates}-th update after the first. */
    public Swa every(long updates) {
        return every(steps("every", updates));
    }

    /** An average every {@code every} of training after the first: {@code Duration.epochs(1)} is once per epoch. */
    public Swa every(Duration every) {
        return new Swa(start, java.util.Objects.requireNonNull(every, "every"));
    }

    private static Duration steps(String field, long updates) {
        if (updates < 1) {
            throw new InvalidConfigException(PATH + "." + field, "must be at least 1 update, got " + updates);
        }
        return Duration.steps(updates);
    }

    public Duration start() {
        return start;
    }

    public Duration every() {
        return every;
    }

    @Override
    public String name() {
        return STATE;
    }

    @Override
    public boolean started(long updates) {
        return updates >= inSteps().start.amount();
    }

    /** True: the running statistics the model kept belong to its last weights. */
    @Override
    public boolean recomputesBatchNorm() {
        return true;
    }

    @Override
    public boolean countsEpochs() {
        return start.unit() == Duration.Unit.EPOCHS || every.unit() == Duration.Unit.EPOCHS;
    }

    @Override
    public Swa inSteps(long stepsPerEpoch) {
        if (!countsEpochs()) {
            return this;
        }
        return new Swa(Duration.steps(start.inSteps(stepsPerEpoch, PATH + ".start")),
                Duration.steps(every.inSteps(stepsPerEpoch, PATH + ".every")));
    }

    /** This average, which must count updates only by now (the spec refuses epochs at compile time). */
    private Swa inSteps() {
        if (countsEpochs()) {
            throw new IllegalStateException(this + " counts epochs; turn them into steps first (spec.withStepsPerEpoch(n))");
        }
        return this;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of();
    }

    /** Which average a tensor's {@code count}-th update takes (1 for the first), or 0 when it takes none. */
    long averaging(long count) {
        long first = inSteps().start.amount();
        long period = every.amount();
        if (count < first || (count - first) % period != 0) {
            return 0;
        }
        return (count - first) / period + 1;
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        long k = averaging(count);
        NDArray swa = state[0];
        if (k == 1) {
            WeightAverage.copyWeights(w, swa);
        } else if (k > 1) {
            // PyTorch divides by n_averaged + 1, a long tensor that type promotion makes a scalar of the weights' type.
            swa.addi(w.sub(swa).divi(FusedOps.scalar(swa, k)));
        }
        return grad;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        long k = averaging(count);
        if (k == 0) {
            return null;
        }
        if (k == 1) {
            return COPY_WEIGHTS;
        }
        float divisor = (float) k;
        return (w, g, state, n) -> {
            float[] swa = state[0];
            for (int i = 0; i < n; i++) {
                swa[i] = swa[i] + (w[i] - swa[i]) / divisor;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Swa s && start.equals(s.start) && every.equals(s.every);
    }

    @Override
    public int hashCode() {
        return start.hashCode() * 31 + every.hashCode();
    }

    @Override
    public String toString() {
        return "Swa.EVERY_STEP" + (start.equals(DEFAULT_START) ? "" : ".start(" + shown(start) + ")")
                + (every.equals(DEFAULT_EVERY) ? "" : ".every(" + shown(every) + ")");
    }

    private static String shown(Duration d) {
        return d.unit() == Duration.Unit.STEPS ? Long.toString(d.amount()) : "Duration.epochs(" + d.amount() + ")";
    }
}
