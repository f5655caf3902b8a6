package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.Unscale;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * LARS (You et al., 2017, "Large Batch Training of Convolutional Networks"), as MindSpore's
 * {@code nn.LARS} wraps its {@code nn.Momentum}: after {@link Unscale}, each tensor's gradient is
 * scaled by its trust ratio ({@code LARSUpdate}), and Momentum's rule takes the result:
 *
 * <pre>
 * ratio = ||w|| > 0 and ||g|| > 0 ? coefficient * ||w|| / (||g|| + weightDecay * ||w|| + eps) : 1
 * ratio = useClip ? min(ratio / lr, 1) : ratio
 * g     = ratio * (g + weightDecay * w)
 * </pre>
 *
 * LARS takes the weight decay over from the optimizer it wraps, so it is decayed once, here. A
 * group with {@code trustRatio} off is one MindSpore's {@code lars_filter} leaves out (by default
 * names with {@code LayerNorm} or {@code bias}): its gradient passes unchanged, without decay, as
 * there. The norms are per tensor, taken before anything moves ({@link Reduction}s of the weights
 * and the gradients, folded in double, rounded to float32); where either is zero the ratio is 1,
 * as in TensorFlow's and Optax's LARS. MindSpore has no reference on this machine, so the rounding
 * is that of the formula's operations one by one, in float32 (also for float64 parameters). Defaults are MindSpore's (coefficient 0.001,
 * eps 1e-5, no clip); its Momentum has none for the learning rate and the momentum.
 */
public final class Lars implements Stage {
    public static final Hyperparameter<Schedule> COEFFICIENT = Hyperparameter.value("coefficient",
            Hyperparameter.Range.NON_NEGATIVE, "The trust coefficient: the ratio's scale.");
    public static final Hyperparameter<Boolean> USE_CLIP = Hyperparameter.flag("useClip",
            "Divides the ratio by the learning rate and clips it to 1 (MindSpore's `use_clip`).");
    public static final Hyperparameter<Boolean> TRUST_RATIO = Hyperparameter.flag("trustRatio",
            "Scales this group's gradients by their trust ratio, with weight decay; off, they pass unchanged "
                    + "(MindSpore's `lars_filter`).");

    private static final Lars STAGE = new Lars();

    /** MindSpore's {@code nn.LARS} around its {@code nn.Momentum}. */
    public static final Chain LARS = Chain.builder("Lars",
                    "LARS as MindSpore's `nn.LARS` computes it around its `nn.Momentum`, with MindSpore's defaults "
                            + "(none for the learning rate and the momentum); `lossScale` is the static scale the gradients carry.")
            .stages(Unscale.STAGE, STAGE, Momentum.RULE)
            .required(Hyperparameter.LR).required(Momentum.MOMENTUM).value(Hyperparameter.WEIGHT_DECAY, 0)
            .flag(Momentum.NESTEROV, false).value(Unscale.LOSS_SCALE, 1)
            .value(COEFFICIENT, 1e-3).value(Hyperparameter.EPS, 1e-5).flag(USE_CLIP, false).flag(TRUST_RATIO, true)
            .build();

    private static final List<Reduction> NORMS = List.of(
            new Reduction(Reduction.Fold.SUM_OF_SQUARES, Reduction.Scope.TENSOR, Reduction.Measure.WEIGHT),
            new Reduction(Reduction.Fold.SUM_OF_SQUARES, Reduction.Scope.TENSOR, Reduction.Measure.GRADIENT));

    private Lars() {
    }

    @Override
    public Kind kind() {
        return Kind.GRADIENT;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Hyperparameter.WEIGHT_DECAY, COEFFICIENT, Hyperparameter.EPS, USE_CLIP,
                TRUST_RATIO);
    }

    @Override
    public List<Reduction> reductions(Hyperparams h) {
        return h.flag(TRUST_RATIO) ? NORMS : List.of();
    }

    @Override
    public Stage reduced(Hyperparams h, long step, double[] totals) {
        float weightNorm = (float) Math.sqrt(totals[0]);
        float gradNorm = (float) Math.sqrt(totals[1]);
        float decay = (float) h.at(Hyperparameter.WEIGHT_DECAY, step);
        float ratio = 1f;
        if (weightNorm > 0 && gradNorm > 0) {
            float denominator = (gradNorm + decay * weightNorm) + (float) h.at(Hyperparameter.EPS, step);
            ratio = ((float) h.at(COEFFICIENT, step) * weightNorm) / denominator;
        }
        if (h.flag(USE_CLIP)) {
            ratio = Math.min(ratio / (float) h.at(Hyperparameter.LR, step), 1f);
        }
        return new Scaled(ratio, decay);
    }

    /** Off for this group: the gradient passes unchanged. On, the stage runs only as its reductions make it. */
    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long step, long count) {
        if (h.flag(TRUST_RATIO)) {
            throw new IllegalStateException("LARS scales a gradient only once its trust ratio is known");
        }
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        if (h.flag(TRUST_RATIO)) {
            throw new IllegalStateException("LARS scales a gradient only once its trust ratio is known");
        }
        return null;
    }

    /** One tensor's gradient once its ratio is known: {@code ratio * (g + decay * w)}. */
    private record Scaled(float ratio, float decay) implements Stage {
        @Override
        public Kind kind() {
            return Kind.GRADIENT;
        }

        @Override
        public List<Hyperparameter<?>> hyperparameters() {
            return List.of();
        }

        @Override
        public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long step, long count) {
            return g.add(w.mul(FusedOps.scalar(w, decay))).muli(FusedOps.scalar(g, ratio));
        }

        @Override
        public ElementKernel kernel(Hyperparams h, long step, long count) {
            return (w, g, state, n) -> {
                for (int i = 0; i < n; i++) {
                    g[i] = (g[i] + w[i] * decay) * ratio;
                }
            };
        }
    }
}
