package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import dev.anneal.config.Checks;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;
import dev.anneal.schedule.Schedule;

import java.util.List;
import java.util.OptionalDouble;

/**
 * Resilient backpropagation (Riedmiller and Braun, 1993, "A Direct Adaptive Method for Faster
 * Backpropagation Learning: The RPROP Algorithm"), as {@code torch.optim.Rprop} computes it
 * ({@code _single_tensor_rprop}), after {@link Maximize}. Each element keeps its own step size:
 *
 * <pre>
 * f    = etaPlus if g * prev > 0, etaMinus if g * prev < 0, else 1
 * step = clamp(step * f, stepSizeMin, stepSizeMax)        (step starts at lr)
 * g    = 0 where g * prev < 0
 * w    = w - sign(g) * step
 * prev = g                                                (prev starts at zero)
 * </pre>
 *
 * The learning rate is only where the step sizes start, so it must be a constant, as PyTorch
 * reads it once. The etas must satisfy {@code 0 < etaMinus < 1 < etaPlus}, as PyTorch requires.
 * Defaults are PyTorch's: lr 0.01, etas (0.5, 1.2), step sizes (1e-6, 50).
 */
public final class Rprop implements Stage {
    public static final Hyperparameter<Schedule> ETA_MINUS = Hyperparameter.value("etaMinus",
            Hyperparameter.Range.UNIT_INTERVAL, "Multiplies an element's step size when its gradient changes sign.");
    public static final Hyperparameter<Schedule> ETA_PLUS = Hyperparameter.value("etaPlus",
            Hyperparameter.Range.POSITIVE, "Multiplies an element's step size when its gradient keeps its sign.");
    public static final Hyperparameter<Schedule> STEP_SIZE_MIN = Hyperparameter.value("stepSizeMin",
            Hyperparameter.Range.NON_NEGATIVE, "The smallest step size.");
    public static final Hyperparameter<Schedule> STEP_SIZE_MAX = Hyperparameter.value("stepSizeMax",
            Hyperparameter.Range.POSITIVE, "The largest step size.");

    private static final Rprop RULE = new Rprop();

    /** {@code torch.optim.Rprop}. */
    public static final Chain RPROP = Chain.builder("Rprop",
                    "Rprop as `torch.optim.Rprop` computes it, with PyTorch's defaults and maximize.")
            .stages(Maximize.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-2).value(ETA_MINUS, 0.5).value(ETA_PLUS, 1.2)
            .value(STEP_SIZE_MIN, 1e-6).value(STEP_SIZE_MAX, 50).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private Rprop() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, ETA_MINUS, ETA_PLUS, STEP_SIZE_MIN, STEP_SIZE_MAX);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("prev", "step_size");
    }

    @Override
    public double startsAt(String name, Hyperparams h) {
        return name.equals("step_size") ? h.start(Hyperparameter.LR) : 0;
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        h.requireConstant(Hyperparameter.LR, c, "the step sizes");
        // A schedule is checked at each step it is read; before training only a constant can be.
        OptionalDouble minus = c.step().isPresent() ? OptionalDouble.of(h.at(ETA_MINUS, c.step().getAsLong()))
                : Schedule.constantValue(h.get(ETA_MINUS));
        OptionalDouble plus = c.step().isPresent() ? OptionalDouble.of(h.at(ETA_PLUS, c.step().getAsLong()))
                : Schedule.constantValue(h.get(ETA_PLUS));
        minus.ifPresent(m -> c.require(m > 0, ETA_MINUS.name(), "must be above 0 (0 < etaMinus < 1 < etaPlus), got " + m));
        plus.ifPresent(p -> c.require(p > 1, ETA_PLUS.name(), "must be above 1 (0 < etaMinus < 1 < etaPlus), got " + p));
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        NDArray prev = state[0];
        NDArray step = state[1];
        NDArray sign = g.mul(prev).sign();
        // etaPlus, etaMinus or 1 by the sign; a NaN sign stays NaN (sign * 0), as PyTorch's masks leave it.
        NDArray factor = sign.gt(0).toType(step.getDataType(), false).muli(FusedOps.scalar(step, h.at(ETA_PLUS, t)))
                .addi(sign.lt(0).toType(step.getDataType(), false).muli(FusedOps.scalar(step, h.at(ETA_MINUS, t))))
                .addi(sign.eq(0).toType(step.getDataType(), false))
                .addi(sign.mul(0));
        step.muli(factor).clip(FusedOps.scalar(step, h.at(STEP_SIZE_MIN, t)), FusedOps.scalar(step, h.at(STEP_SIZE_MAX, t)))
                .copyTo(step);
        NDArray kept = NDArrays.where(sign.lt(0), g.zerosLike(), g);
        FusedOps.addProductInPlace(w, kept.sign(), step, -1);
        kept.copyTo(prev);
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        float plus = (float) h.at(ETA_PLUS, t);
        float minus = (float) h.at(ETA_MINUS, t);
        float min = (float) h.at(STEP_SIZE_MIN, t);
        float max = (float) h.at(STEP_SIZE_MAX, t);
        // Two loops without branches, which the JIT vectorises: with the signs of a gradient
        // unpredictable, branches (or Math.max on the sign) left them scalar and 2-4 times slower.
        // For s in {-1, 0, 1}, (s*s + s)/2 and (s*s - s)/2 are exactly 1 where s is 1 and -1, so
        // the factor and the zeroing select exact values. A NaN s (a non-finite gradient applied)
        // gives NaN step sizes and weights, as PyTorch's, and a NaN previous gradient where
        // PyTorch keeps the gradient.
        return (w, g, state, n) -> {
            float[] prev = state[0];
            float[] step = state[1];
            for (int i = 0; i < n; i++) {
                float s = Loops.sign(g[i] * prev[i]);
                float ss = s * s;
                float factor = plus * ((ss + s) * 0.5f) + minus * ((ss - s) * 0.5f) + (1f - ss);
                step[i] = Math.min(Math.max(step[i] * factor, min), max);
            }
            for (int i = 0; i < n; i++) {
                float s = Loops.sign(g[i] * prev[i]);
                // +inf where the gradient is kept, +0 where it is zeroed; the order makes 0 * MAX, not 0 * inf.
                float bound = ((1f - (s * s - s) * 0.5f) * Float.MAX_VALUE) * 2f;
                float kept = Math.max(Math.min(g[i], bound), -bound + 0f);
                w[i] = Math.fma(-Loops.sign(kept), step[i], w[i]);
                prev[i] = kept;
            }
        };
    }
}
