package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.ScaledL2Decay;
import dev.anneal.grad.Unscale;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * MindSpore's {@code nn.Momentum}: after the base class's {@link ScaledL2Decay} and
 * {@link Unscale}, the {@code ApplyMomentum} kernel ({@code mindspore/python/mindspore/nn/optim/momentum.py}):
 *
 * <pre>
 * a = momentum * a + g                         (accumulator starts at zero)
 * w = w - lr * a                               (use_nesterov: w = w - (g * lr + a * momentum * lr))
 * </pre>
 *
 * The net decay is {@code weightDecay * w} whatever the loss scale. MindSpore's CPU kernel
 * ignores {@code use_nesterov}; its GPU kernel and documentation apply the Nesterov form above,
 * which is what we follow. Unlike PyTorch's SGD the accumulator starts at zero and there is no
 * dampening. MindSpore has no default for the learning rate or the momentum, so neither has one
 * here. MindSpore applies weight decay only to names without {@code beta} or {@code gamma} when
 * no groups are given; ask for that with {@code noWeightDecayOn(Selector.kind(ParamKind.BETA_GAMMA_NAME))}.
 */
public final class Momentum implements Stage {
    public static final Hyperparameter<Schedule> MOMENTUM = Hyperparameter.value("momentum",
            Hyperparameter.Range.NON_NEGATIVE, "The momentum factor.");
    public static final Hyperparameter<Boolean> NESTEROV = Hyperparameter.flag("nesterov", "MindSpore's `use_nesterov`.");

    static final Momentum RULE = new Momentum();

    /** MindSpore's {@code nn.Momentum}. */
    public static final Chain NN_MOMENTUM = Chain.builder("Momentum",
                    "MindSpore's `nn.Momentum`: no defaults for the learning rate and the momentum, as there; "
                            + "`lossScale` is the static scale the gradients carry.")
            .stages(ScaledL2Decay.STAGE, Unscale.STAGE, RULE)
            .required(Hyperparameter.LR).required(MOMENTUM).value(Hyperparameter.WEIGHT_DECAY, 0)
            .flag(NESTEROV, false).value(Unscale.LOSS_SCALE, 1)
            .build();

    private Momentum() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, MOMENTUM, NESTEROV);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("moment");
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        NDArray accumulator = state[0];
        Number lr = FusedOps.scalar(w, h.at(Hyperparameter.LR, t));
        Number momentum = FusedOps.scalar(w, h.at(MOMENTUM, t));
        accumulator.muli(momentum).addi(g);
        if (h.flag(NESTEROV)) {
            w.subi(g.mul(lr).addi(accumulator.mul(momentum).muli(lr)));
        } else {
            w.subi(accumulator.mul(lr));
        }
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        float lr = (float) h.at(Hyperparameter.LR, t);
        float momentum = (float) h.at(MOMENTUM, t);
        boolean nesterov = h.flag(NESTEROV);
        return (w, g, state, n) -> {
            float[] accumulator = state[0];
            for (int i = 0; i < n; i++) {
                accumulator[i] = accumulator[i] * momentum + g[i];
            }
            if (nesterov) {
                for (int i = 0; i < n; i++) {
                    w[i] = w[i] - (g[i] * lr + accumulator[i] * momentum * lr);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    w[i] = w[i] - accumulator[i] * lr;
                }
            }
        };
    }
}
