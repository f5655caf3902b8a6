package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import dev.anneal.config.Checks;
import dev.anneal.grad.ScaledL2Decay;
import dev.anneal.grad.Unscale;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Proximal Adagrad (Duchi and Singer, 2009, "Efficient Learning using Forward-Backward
 * Splitting"), as MindSpore's {@code nn.ProximalAdagrad} computes it with its
 * {@code ApplyProximalAdagrad} kernel (TensorFlow's), after MindSpore's weight decay and
 * loss-scale division ({@link ScaledL2Decay}, {@link Unscale}):
 *
 * <pre>
 * a    = a + g * g                                  (a starts at initialAccumulatorValue > 0)
 * prox = w - lr * g / sqrt(a)
 * w    = l1 > 0 ? sign(prox) / (1 + lr * l2) * max(|prox| - lr * l1, 0) : prox / (1 + lr * l2)
 * </pre>
 *
 * An Adagrad step, then the proximal step of the l1 and l2 penalties: l1 sets small weights to
 * exactly zero. No MindSpore is here, so the rounding is this file's: the sum one multiply-add,
 * {@code lr * g} rounded before the division, the factors {@code 1 + lr * l2} and {@code lr * l1}
 * formed in float64 and rounded once. Defaults are MindSpore's: lr 0.001, initial accumulator
 * 0.1, no l1, l2 or weight decay, loss scale 1.
 */
public final class ProximalAdagrad implements Stage {
    public static final Hyperparameter<Schedule> L1 = Hyperparameter.value("l1", Hyperparameter.Range.NON_NEGATIVE,
            "The l1 penalty's strength: weights within lr * l1 of zero become zero.");
    public static final Hyperparameter<Schedule> L2 = Hyperparameter.value("l2", Hyperparameter.Range.NON_NEGATIVE,
            "The l2 penalty's strength, applied in the rule's proximal step.");
    private static final ProximalAdagrad RULE = new ProximalAdagrad();

    /** MindSpore's {@code nn.ProximalAdagrad}. */
    public static final Chain PROXIMAL_ADAGRAD = Chain.builder("ProximalAdagrad",
                    "Proximal Adagrad as MindSpore's `nn.ProximalAdagrad` computes it, with MindSpore's defaults; "
                            + "`lossScale` is the static scale the gradients carry.")
            .stages(ScaledL2Decay.STAGE, Unscale.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-3).value(Adagrad.INITIAL_ACCUMULATOR_VALUE, 0.1).value(L1, 0).value(L2, 0)
            .value(Hyperparameter.WEIGHT_DECAY, 0).value(Unscale.LOSS_SCALE, 1)
            .build();

    private ProximalAdagrad() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adagrad.INITIAL_ACCUMULATOR_VALUE, L1, L2);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("accum");
    }

    @Override
    public double startsAt(String name, Hyperparams h) {
        return h.start(Adagrad.INITIAL_ACCUMULATOR_VALUE);
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        h.requireConstant(Adagrad.INITIAL_ACCUMULATOR_VALUE, c, "the accumulators");
        Schedule.constantValue(h.get(Adagrad.INITIAL_ACCUMULATOR_VALUE)).ifPresent(v -> c.require(v > 0,
                Adagrad.INITIAL_ACCUMULATOR_VALUE.name(), "must be positive (> 0): a zero gradient would divide 0 by "
                        + "sqrt(0); got " + v));
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        NDArray accum = state[0];
        double lr = h.at(Hyperparameter.LR, t);
        double l1 = h.at(L1, t);
        FusedOps.addProductInPlace(accum, g, g, 1);
        NDArray prox = w.sub(g.mul(FusedOps.scalar(g, lr)).divi(FusedOps.sqrt(accum)));
        Number shrink = FusedOps.scalar(w, 1 + lr * h.at(L2, t));
        NDArray next = l1 > 0
                ? prox.sign().divi(shrink).muli(NDArrays.maximum(0, prox.abs().subi(FusedOps.scalar(w, lr * l1))))
                : prox.divi(shrink);
        w.set(new NDIndex("..."), next);
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double lrValue = h.at(Hyperparameter.LR, t);
        float lr = (float) lrValue;
        float shrink = (float) (1 + lrValue * h.at(L2, t));
        float threshold = (float) (lrValue * h.at(L1, t));
        if (h.at(L1, t) > 0) {
            return (w, g, state, n) -> {
                float[] a = state[0];
                for (int i = 0; i < n; i++) {
                    a[i] = Math.fma(g[i], g[i], a[i]);
                    float prox = w[i] - (lr * g[i]) / (float) Math.sqrt(a[i]);
                    w[i] = (Loops.sign(prox) / shrink) * Math.max(Math.abs(prox) - threshold, 0f);
                }
            };
        }
        return (w, g, state, n) -> {
            float[] a = state[0];
            for (int i = 0; i < n; i++) {
                a[i] = Math.fma(g[i], g[i], a[i]);
                w[i] = (w[i] - (lr * g[i]) / (float) Math.sqrt(a[i])) / shrink;
            }
        };
    }
}
