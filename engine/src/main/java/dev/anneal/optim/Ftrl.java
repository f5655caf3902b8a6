package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.anneal.config.Checks;
import dev.anneal.grad.ScaledL2Decay;
import dev.anneal.grad.Unscale;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;
import dev.anneal.schedule.Schedule;

import java.util.List;
import java.util.OptionalDouble;

/**
 * FTRL-Proximal (McMahan et al., 2013, "Ad Click Prediction: a View from the Trenches"), as
 * MindSpore's {@code nn.FTRL} computes it with its {@code ApplyFtrl} kernel (TensorFlow's), after
 * MindSpore's weight decay and loss-scale division ({@link ScaledL2Decay}, {@link Unscale}), with
 * {@code p = -lrPower}:
 *
 * <pre>
 * a'     = a + g * g                                   (a starts at initialAccumulatorValue)
 * linear = linear + g - (a'^p - a^p) / lr * w
 * w      = |linear| > l1 ? (sign(linear) * l1 - linear) / (a'^p / lr + 2 * l2) : 0
 * a      = a'
 * </pre>
 *
 * The weights are recomputed from the accumulated linear term each step, not moved by a step,
 * and the l1 term sets small ones to exactly zero: the sparse models online learning wants. No
 * MindSpore is here, so the rounding is this file's: the sum and {@code g - sigma * w} each one
 * multiply-add, a power a square root when {@code lrPower} is -0.5 (as the kernel specialises)
 * and otherwise taken in float64 and rounded once. MindSpore takes only a constant learning rate;
 * here it may be scheduled, which changes the rule's {@code 1 / lr} from step to step. Defaults are
 * MindSpore's: lr 0.001, lrPower -0.5, initial accumulator 0.1, no l1, l2 or weight decay, loss scale 1.
 */
public final class Ftrl implements Stage {
    public static final Hyperparameter<Schedule> LR_POWER = Hyperparameter.value("lrPower",
            Hyperparameter.Range.NON_POSITIVE, "How the per-coordinate rate falls as squared gradients accumulate: "
                    + "lr / accumulator^(-lrPower); 0 keeps it fixed.");
    private static final Ftrl RULE = new Ftrl();

    /** MindSpore's {@code nn.FTRL}. */
    public static final Chain FTRL = Chain.builder("Ftrl",
                    "FTRL-Proximal as MindSpore's `nn.FTRL` computes it, with MindSpore's defaults; "
                            + "`lossScale` is the static scale the gradients carry.")
            .stages(ScaledL2Decay.STAGE, Unscale.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-3).value(LR_POWER, -0.5).value(Adagrad.INITIAL_ACCUMULATOR_VALUE, 0.1)
            .value(ProximalAdagrad.L1, 0).value(ProximalAdagrad.L2, 0).value(Hyperparameter.WEIGHT_DECAY, 0)
            .value(Unscale.LOSS_SCALE, 1)
            .build();

    private Ftrl() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, LR_POWER, Adagrad.INITIAL_ACCUMULATOR_VALUE, ProximalAdagrad.L1,
                ProximalAdagrad.L2);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("accum", "linear");
    }

    @Override
    public double startsAt(String name, Hyperparams h) {
        return "accum".equals(name) ? h.start(Adagrad.INITIAL_ACCUMULATOR_VALUE) : 0;
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        h.requireConstant(Adagrad.INITIAL_ACCUMULATOR_VALUE, c, "the accumulators");
        OptionalDouble lr = c.step().isPresent() ? OptionalDouble.of(h.at(Hyperparameter.LR, c.step().getAsLong()))
                : Schedule.constantValue(h.get(Hyperparameter.LR));
        lr.ifPresent(v -> c.require(v > 0, Hyperparameter.LR.name(), "must be positive (> 0): FTRL divides by it, got " + v));
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        NDArray accum = state[0];
        NDArray linear = state[1];
        double lr = h.at(Hyperparameter.LR, t);
        double power = -h.at(LR_POWER, t);
        NDArray next = accum.duplicate();
        FusedOps.addProductInPlace(next, g, g, 1);
        NDArray nextPowered = powered(next, power);
        NDArray sigma = nextPowered.sub(powered(accum, power)).divi(FusedOps.scalar(w, lr));
        NDArray delta = g.duplicate();
        FusedOps.addProductInPlace(delta, sigma, w, -1);
        linear.addi(delta);
        NDArray quadratic = nextPowered.divi(FusedOps.scalar(w, lr)).addi(FusedOps.scalar(w, 2 * h.at(ProximalAdagrad.L2, t)));
        Number l1 = FusedOps.scalar(w, h.at(ProximalAdagrad.L1, t));
        NDArray solved = linear.sign().muli(l1).subi(linear).divi(quadratic);
        w.set(new NDIndex("..."), NDArrays.where(linear.abs().gt(l1), solved, w.zerosLike()));
        next.copyTo(accum);
        return g;
    }

    /** {@code x^power}: a square root for 0.5, else in float64, rounded once. */
    private static NDArray powered(NDArray x, double power) {
        if (power == 0.5) {
            return FusedOps.sqrt(x);
        }
        return x.toType(DataType.FLOAT64, false).pow(power).toType(x.getDataType(), false);
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        float lr = (float) h.at(Hyperparameter.LR, t);
        double power = -h.at(LR_POWER, t);
        boolean root = power == 0.5;
        float l1 = (float) h.at(ProximalAdagrad.L1, t);
        float twoL2 = (float) (2 * h.at(ProximalAdagrad.L2, t));
        return (w, g, state, n) -> {
            float[] a = state[0];
            float[] linear = state[1];
            for (int i = 0; i < n; i++) {
                float next = Math.fma(g[i], g[i], a[i]);
                float nextPowered = root ? (float) Math.sqrt(next) : (float) Math.pow(next, power);
                float powered = root ? (float) Math.sqrt(a[i]) : (float) Math.pow(a[i], power);
                float sigma = (nextPowered - powered) / lr;
                linear[i] = linear[i] + Math.fma(-sigma, w[i], g[i]);
                float quadratic = nextPowered / lr + twoL2;
                float solved = (Loops.sign(linear[i]) * l1 - linear[i]) / quadratic;
                w[i] = Math.abs(linear[i]) > l1 ? solved : 0f;
                a[i] = next;
            }
        };
    }
}
