package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.config.Checks;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Adagrad (Duchi, Hazan and Singer, 2011, "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization"), as {@code torch.optim.Adagrad} computes it
 * ({@code _single_tensor_adagrad}, dense gradients), after {@link Maximize} and {@link L2Decay},
 * at the tensor's t-th update:
 *
 * <pre>
 * s   = s + g * g                                (s starts at initialAccumulatorValue)
 * clr = lr / (1 + (t - 1) * lrDecay)
 * w   = w - clr * g / (sqrt(s) + eps)
 * </pre>
 *
 * The sum is one fused multiply-add, as PyTorch's {@code addcmul}; the update rounds as its
 * {@code addcdiv}, {@code w + (-clr * g) / (sqrt(s) + eps)}. The sum is filled with the initial
 * value when the state is made, as PyTorch does, so the initial value is a constant. PyTorch
 * fills every group's sums with the constructor's value, whatever a group says; here a group's
 * own value counts. Defaults are PyTorch's: lr 0.01, no lr decay, initial accumulator 0, eps
 * 1e-10, no weight decay.
 */
public final class Adagrad implements Stage {
    public static final Hyperparameter<Schedule> LR_DECAY = Hyperparameter.value("lrDecay",
            Hyperparameter.Range.NON_NEGATIVE, "Divides the learning rate by 1 + (t - 1) * lrDecay at a tensor's t-th update.");
    public static final Hyperparameter<Schedule> INITIAL_ACCUMULATOR_VALUE = Hyperparameter.value(
            "initialAccumulatorValue", Hyperparameter.Range.NON_NEGATIVE, "Where the sum of squared gradients starts.");

    private static final Adagrad RULE = new Adagrad();

    /** {@code torch.optim.Adagrad}. */
    public static final Chain ADAGRAD = Chain.builder("Adagrad",
                    "Adagrad as `torch.optim.Adagrad` computes it, with PyTorch's defaults: lr decay, initial accumulator and maximize.")
            .stages(Maximize.STAGE, L2Decay.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-2).value(LR_DECAY, 0).value(Hyperparameter.WEIGHT_DECAY, 0)
            .value(INITIAL_ACCUMULATOR_VALUE, 0).value(Hyperparameter.EPS, 1e-10).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private Adagrad() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, LR_DECAY, INITIAL_ACCUMULATOR_VALUE, Hyperparameter.EPS);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("sum");
    }

    @Override
    public double startsAt(String name, Hyperparams h) {
        return h.start(INITIAL_ACCUMULATOR_VALUE);
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        h.requireConstant(INITIAL_ACCUMULATOR_VALUE, c, "the sums");
    }

    /** The learning rate at a tensor's {@code count}-th update, in double as PyTorch's Python computes it. */
    private static double clr(Hyperparams h, long t, long count) {
        return h.at(Hyperparameter.LR, t) / (1 + (count - 1) * h.at(LR_DECAY, t));
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        NDArray sum = state[0];
        FusedOps.addProductInPlace(sum, g, g, 1);
        NDArray std = FusedOps.sqrt(sum).addi(FusedOps.scalar(sum, h.at(Hyperparameter.EPS, t)));
        w.addi(g.mul(FusedOps.scalar(g, -clr(h, t, count))).divi(std));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        float negClr = (float) -clr(h, t, count);
        float eps = (float) h.at(Hyperparameter.EPS, t);
        return (w, g, state, n) -> {
            float[] s = state[0];
            for (int i = 0; i < n; i++) {
                s[i] = Math.fma(g[i], g[i], s[i]);
                w[i] = w[i] + (negClr * g[i]) / ((float) Math.sqrt(s[i]) + eps);
            }
        };
    }
}
