package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

import java.util.List;
import java.util.function.Consumer;

/**
 * Stochastic gradient descent with momentum, dampening and Nesterov momentum (Sutskever et al.,
 * 2013, "On the importance of initialization and momentum in deep learning"), as
 * {@code torch.optim.SGD} computes it:
 *
 * <pre>
 * g = maximize ? -grad : grad
 * g = g + weightDecay * w
 * b = (first update) ? g : momentum * b + (1 - dampening) * g (when momentum != 0)
 * g = nesterov ? g + momentum * b : b                          (when momentum != 0)
 * w = w - lr * g
 * </pre>
 *
 * The buffer starts as the first gradient, without dampening, as in PyTorch. Nesterov needs a
 * positive momentum and zero dampening (PyTorch rejects it otherwise, and so do we). Defaults:
 * lr 1e-3 (PyTorch 2's), no momentum, no weight decay.
 */
public final class Sgd implements UpdateRule<Sgd.Hyper> {
    static final Sgd RULE = new Sgd();

    private Sgd() {
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    public List<String> stateNames(Hyper h) {
        return Schedule.isZero(h.momentum) ? List.of() : List.of("momentum_buffer");
    }

    @Override
    public void update(NDArray w, NDArray grad, NDArray[] state, Hyper h, long t, long count) {
        double weightDecay = h.weightDecay.at(t);
        double momentum = h.momentum.at(t);
        NDArray g = h.maximize ? grad.neg() : grad;
        if (weightDecay != 0) {
            g = FusedOps.addScaled(g, w, weightDecay);
        }
        if (momentum != 0) {
            NDArray buffer = state[0];
            if (count == 1) {
                g.copyTo(buffer);
            } else {
                FusedOps.addScaledInPlace(buffer.muli(FusedOps.scalar(buffer, momentum)), g, 1 - h.dampening.at(t));
            }
            g = h.nesterov ? FusedOps.addScaled(g, buffer, momentum) : buffer;
        }
        FusedOps.addScaledInPlace(w, g, -h.lr.at(t));
    }

    @Override
    public ElementKernel kernel(Hyper h, long t, long count) {
        double weightDecay = h.weightDecay.at(t);
        double momentumValue = h.momentum.at(t);
        boolean decays = weightDecay != 0;
        boolean accumulates = momentumValue != 0;
        float decay = (float) weightDecay;
        float momentum = (float) momentumValue;
        float keep = (float) (1 - h.dampening.at(t));
        float negLr = (float) -h.lr.at(t);
        boolean maximize = h.maximize;
        boolean nesterov = h.nesterov;
        boolean first = count == 1;
        return (w, g, state, n) -> {
            if (maximize) {
                Loops.negate(g, n);
            }
            if (decays) {
                Loops.addScaled(g, w, decay, n);
            }
            float[] step = g;
            if (accumulates) {
                float[] buffer = state[0];
                if (first) {
                    System.arraycopy(g, 0, buffer, 0, n);
                } else {
                    Loops.scale(buffer, momentum, n);
                    Loops.addScaled(buffer, g, keep, n);
                }
                if (nesterov) {
                    Loops.addScaled(g, buffer, momentum, n);
                } else {
                    step = buffer;
                }
            }
            Loops.addScaled(w, step, negLr, n);
        };
    }

    /** SGD's hyperparameters; as a group's overrides, null fields inherit. */
    public record Hyper(Schedule lr, Schedule momentum, Schedule dampening, Schedule weightDecay,
                        Boolean nesterov, Boolean maximize) implements Hyperparams<Hyper> {
        @Override
        public UpdateRule<Hyper> rule() {
            return RULE;
        }

        @Override
        public Hyper overriddenBy(Hyper o) {
            return new Hyper(Rules.or(o.lr, lr), Rules.or(o.momentum, momentum), Rules.or(o.dampening, dampening),
                    Rules.or(o.weightDecay, weightDecay), Rules.or(o.nesterov, nesterov), Rules.or(o.maximize, maximize));
        }

        @Override
        public Hyper withoutWeightDecay() {
            return new Hyper(lr, momentum, dampening, Schedule.constant(0), nesterov, maximize);
        }

        @Override
        public void check(Checks c) {
            Rules.complete(c, this);
            Rules.nonNegative(c, "lr", lr);
            Rules.nonNegative(c, "momentum", momentum);
            Rules.closedUnitInterval(c, "dampening", dampening);
            Rules.nonNegative(c, "weightDecay", weightDecay);
            if (Boolean.TRUE.equals(nesterov)) {
                boolean noMomentum = momentum != null && Schedule.isZero(momentum);
                boolean damped = dampening != null && !Schedule.isZero(dampening);
                c.require(!noMomentum && !damped, "nesterov",
                        "requires momentum > 0 and dampening == 0, got momentum " + momentum
                                + " and dampening " + dampening);
            }
        }

    }

    /** Setters shared by the optimizer's defaults and a group's overrides. */
    public abstract static class Settings<S extends Settings<S>> extends CommonSettings<S> {
        Schedule momentum;
        Schedule dampening;
        Boolean nesterov;
        Boolean maximize;

        public S momentum(double value) {
            return momentum(Schedule.constant(value));
        }

        public S momentum(Schedule value) {
            momentum = value;
            return self();
        }

        public S dampening(double value) {
            return dampening(Schedule.constant(value));
        }

        public S dampening(Schedule value) {
            dampening = value;
            return self();
        }

        public S nesterov(Boolean value) {
            nesterov = value;
            return self();
        }

        public S maximize(Boolean value) {
            maximize = value;
            return self();
        }

        Hyper hyper() {
            return new Hyper(lr, momentum, dampening, weightDecay, nesterov, maximize);
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

    /** Builds an SGD spec. */
    public static final class Builder extends Settings<Builder> implements OptimizerBuilder<Hyper, Group, Builder> {
        private final SpecParts<Hyper, Group> parts = new SpecParts<>(Group::new, Group::hyper, this::hyper);

        Builder() {
            lr(1e-3).momentum(0).dampening(0).weightDecay(0).nesterov(false).maximize(false);
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
