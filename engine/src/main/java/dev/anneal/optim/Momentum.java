package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

import java.util.List;
import java.util.function.Consumer;

/**
 * MindSpore's {@code nn.Momentum}: weight decay and loss-scale division applied to the gradient
 * by the optimizer base class, then the {@code ApplyMomentum} kernel
 * ({@code mindspore/python/mindspore/nn/optim/momentum.py}, {@code nn/optim/optimizer.py}):
 *
 * <pre>
 * g = grad + (weightDecay * lossScale) * w    (decay_weight, on the still-scaled gradient)
 * g = g * (1 / lossScale)                      (scale_grad)
 * a = momentum * a + g                         (accumulator starts at zero)
 * w = w - lr * a                               (use_nesterov: w = w - (g * lr + a * momentum * lr))
 * </pre>
 *
 * The net decay is {@code weightDecay * w} whatever the loss scale. MindSpore's CPU kernel
 * ignores {@code use_nesterov}; its GPU kernel and documentation apply the Nesterov form above,
 * which is what we follow. Unlike PyTorch's SGD the accumulator starts at zero and there is no dampening. MindSpore has no
 * default for the learning rate or the momentum, so neither has one here. MindSpore applies
 * weight decay only to names without {@code beta} or {@code gamma} when no groups are given; ask
 * for that with {@code noWeightDecayOn(Selector.kind(ParamKind.BETA_GAMMA_NAME))}.
 */
public final class Momentum implements UpdateRule<Momentum.Hyper> {
    static final Momentum RULE = new Momentum();

    private Momentum() {
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "momentum";
    }

    @Override
    public List<String> stateNames(Hyper h) {
        return List.of("moment");
    }

    @Override
    public void update(NDArray w, NDArray grad, NDArray[] state, Hyper h, long t, long count) {
        double lr = h.lr.at(t);
        double momentum = h.momentum.at(t);
        double weightDecay = h.weightDecay.at(t);
        double lossScale = h.lossScale.at(t);
        NDArray g = grad;
        if (weightDecay != 0) {
            // MindSpore stores weightDecay * lossScale, so the decay survives the division below.
            g = g.add(w.mul(FusedOps.scalar(w, weightDecay * lossScale)));
        }
        if (lossScale != 1) {
            g = g.mul(FusedOps.scalar(g, 1 / lossScale));
        }
        NDArray accumulator = state[0];
        Number lrScalar = FusedOps.scalar(w, lr);
        Number momentumScalar = FusedOps.scalar(w, momentum);
        accumulator.muli(momentumScalar).addi(g);
        if (h.nesterov) {
            w.subi(g.mul(lrScalar).addi(accumulator.mul(momentumScalar).muli(lrScalar)));
        } else {
            w.subi(accumulator.mul(lrScalar));
        }
    }

    @Override
    public ElementKernel kernel(Hyper h, long t, long count) {
        double weightDecay = h.weightDecay.at(t);
        double lossScale = h.lossScale.at(t);
        boolean decays = weightDecay != 0;
        float decay = (float) (weightDecay * lossScale);
        float unscale = (float) (1 / lossScale);
        boolean scaled = lossScale != 1;
        float lr = (float) h.lr.at(t);
        float momentum = (float) h.momentum.at(t);
        boolean nesterov = h.nesterov;
        return (w, g, state, n) -> {
            if (decays) {
                for (int i = 0; i < n; i++) {
                    g[i] = g[i] + w[i] * decay;
                }
            }
            if (scaled) {
                Loops.scale(g, unscale, n);
            }
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

    /** Momentum's hyperparameters; as a group's overrides, null fields inherit. */
    public record Hyper(Schedule lr, Schedule momentum, Schedule weightDecay, Boolean nesterov, Schedule lossScale)
            implements Hyperparams<Hyper> {
        @Override
        public UpdateRule<Hyper> rule() {
            return RULE;
        }

        @Override
        public Hyper overriddenBy(Hyper o) {
            return new Hyper(Rules.or(o.lr, lr), Rules.or(o.momentum, momentum), Rules.or(o.weightDecay, weightDecay),
                    Rules.or(o.nesterov, nesterov), Rules.or(o.lossScale, lossScale));
        }

        @Override
        public Hyper withoutWeightDecay() {
            return new Hyper(lr, momentum, Schedule.constant(0), nesterov, lossScale);
        }

        @Override
        public void check(Checks c) {
            Rules.complete(c, this);
            Rules.nonNegative(c, "lr", lr);
            Rules.nonNegative(c, "momentum", momentum);
            Rules.nonNegative(c, "weightDecay", weightDecay);
            Rules.positive(c, "lossScale", lossScale);
        }

    }

    /** Setters shared by the optimizer's defaults and a group's overrides. */
    public abstract static class Settings<S extends Settings<S>> extends CommonSettings<S> {
        Schedule momentum;
        Boolean nesterov;
        Schedule lossScale;


        public S momentum(double value) {
            return momentum(Schedule.constant(value));
        }

        public S momentum(Schedule value) {
            momentum = value;
            return self();
        }

        /** MindSpore's {@code use_nesterov}. */
        public S nesterov(Boolean value) {
            nesterov = value;
            return self();
        }

        /** The static loss scale the gradients carry; they are divided by it before the update. */
        public S lossScale(double value) {
            lossScale = Schedule.constant(value);
            return self();
        }

        Hyper hyper() {
            return new Hyper(lr, momentum, weightDecay, nesterov, lossScale);
        }
    }

    /** A group's overrides, for {@link Optimizer#addGroup}: {@code overrides(g -> g.lr(1e-4))}. */
    public static Hyper overrides(Consumer<Group> settings) {
        Group group = new Group();
        settings.accept(group);
        return group.hyper();
    }

    /** A group's overrides; what is not set comes from the optimizer. */
    public static final class Group extends Settings<Group> {
        @Override
        Group self() {
            return this;
        }
    }

    /** Builds a Momentum spec; {@code lr} and {@code momentum} must be set. */
    public static final class Builder extends Settings<Builder> implements OptimizerBuilder<Hyper, Group, Builder> {
        private final SpecParts<Hyper, Group> parts = new SpecParts<>(Group::new, Group::hyper, this::hyper);

        Builder() {
            weightDecay(0).nesterov(false).lossScale(1);
        }

        @Override
        Builder self() {
            return this;
        }

        @Override
        public SpecParts<Hyper, Group> parts() {
            return parts;
        }
    }
}
