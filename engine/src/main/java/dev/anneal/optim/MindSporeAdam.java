package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.ScaledL2Decay;
import dev.anneal.grad.Unscale;
import dev.anneal.internal.FusedOps;

import java.util.List;

/**
 * Adam as MindSpore's {@code nn.Adam} computes it (the {@code Adam} kernel), after MindSpore's weight
 * decay and loss-scale division ({@link ScaledL2Decay}, {@link Unscale}), at the tensor's t-th update:
 *
 * <pre>
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g * g
 * l = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 * w = w - l * m / (sqrt(v) + eps)                          (nesterov: m * beta1 + (1 - beta1) * g for m)
 * </pre>
 *
 * Unlike PyTorch's Adam, both corrections are folded into the step size, so eps is added to the
 * uncorrected root: early steps are larger for the same eps. {@code nesterov} is MindSpore's
 * {@code use_nesterov}. No MindSpore is here, so the rounding is this file's: moments as in
 * {@link AdamWeightDecay}, the Nesterov direction one multiply-add, the step one multiply-add of
 * {@code -l} (formed in float64). Defaults are MindSpore's: lr 0.001, betas 0.9 and 0.999, eps
 * 1e-8, no Nesterov, no weight decay, loss scale 1.
 *
 * <p>{@link #LAZY_ADAM} is MindSpore's {@code nn.LazyAdam}: the same rule, decay and unscaling on
 * the rows of a tensor whose gradient is not all zero only, every other row's weights and moments
 * left as they are ({@link Stage#touchedRowsOnly}; a row is a slice along the first dimension).
 * MindSpore is lazy for sparse gradients (a {@code RowTensor} from an embedding) and updates a
 * dense gradient's every row; DJL's gradients are dense, so an all-zero row stands for a row the
 * sparse gradient leaves out: give LazyAdam the embeddings (a group or an optimizer of their own)
 * where a dense layer's rows of zeros (a unit that never fired) should still decay.
 */
public final class MindSporeAdam implements Stage {
    private static final MindSporeAdam RULE = new MindSporeAdam(false);
    private static final MindSporeAdam LAZY_RULE = new MindSporeAdam(true);

    /** MindSpore's {@code nn.Adam}. */
    public static final Chain MINDSPORE_ADAM = Chain.builder("MindSporeAdam",
                    "Adam as MindSpore's `nn.Adam` computes it, corrections in the step size, with MindSpore's "
                            + "defaults and `use_nesterov`; `lossScale` is the static scale the gradients carry.")
            .stages(ScaledL2Decay.STAGE, Unscale.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-3).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-8)
            .flag(Momentum.NESTEROV, false).value(Hyperparameter.WEIGHT_DECAY, 0).value(Unscale.LOSS_SCALE, 1)
            .build();

    /** MindSpore's {@code nn.LazyAdam}: {@link #MINDSPORE_ADAM} on the rows that have a gradient. */
    public static final Chain LAZY_ADAM = MINDSPORE_ADAM.toBuilder("LazyAdam",
                    "Adam as MindSpore's `nn.LazyAdam` computes it: MindSpore's Adam on the rows with a gradient only, "
                            + "the other rows and their moments left as they are.")
            .stages(ScaledL2Decay.STAGE, Unscale.STAGE, LAZY_RULE)
            .build();

    private final boolean lazy;

    private MindSporeAdam(boolean lazy) {
        this.lazy = lazy;
    }

    @Override
    public boolean touchedRowsOnly(Hyperparams h) {
        return lazy;
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, Hyperparameter.EPS, Momentum.NESTEROV);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("moment1", "moment2");
    }

    /** The step size with both corrections, in double as MindSpore's and PyTorch's (SparseAdam) Python compute it. */
    static double stepSize(Hyperparams h, long t, long count) {
        return h.at(Hyperparameter.LR, t) * Math.sqrt(1 - Math.pow(h.at(Adam.BETA2, t), count))
                / (1 - Math.pow(h.at(Adam.BETA1, t), count));
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        NDArray m = state[0];
        NDArray v = state[1];
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta1)), g, 1 - beta1);
        FusedOps.addProductInPlace(v.muli(FusedOps.scalar(v, beta2)), g, g, 1 - beta2);
        NDArray direction = h.flag(Momentum.NESTEROV) ? FusedOps.addScaled(m.mul(FusedOps.scalar(m, beta1)), g, 1 - beta1) : m;
        NDArray update = direction.div(FusedOps.sqrt(v).addi(FusedOps.scalar(v, h.at(Hyperparameter.EPS, t))));
        FusedOps.addScaledInPlace(w, update, -stepSize(h, t, count));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        float b1 = (float) beta1;
        float oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float negStep = (float) -stepSize(h, t, count);
        boolean nesterov = h.flag(Momentum.NESTEROV);
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            for (int i = 0; i < n; i++) {
                m[i] = Math.fma(g[i], oneMinusB1, m[i] * b1);
                v[i] = Math.fma(oneMinusB2 * g[i], g[i], v[i] * b2);
                float direction = nesterov ? Math.fma(g[i], oneMinusB1, m[i] * b1) : m[i];
                w[i] = Math.fma(direction / ((float) Math.sqrt(v[i]) + eps), negStep, w[i]);
            }
        };
    }
}
