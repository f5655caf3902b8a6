package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.config.Checks;
import dev.anneal.schedule.Schedule;

import java.util.List;
import java.util.function.Consumer;

/**
 * Adam (Kingma and Ba, 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1), as
 * {@code torch.optim.Adam} computes it, with AMSGrad (Reddi et al., 2018) and maximize:
 *
 * <pre>
 * g  = maximize ? -grad : grad
 * g  = g + weightDecay * w                      (coupled L2; {@link AdamW} decouples it)
 * m  = beta1 * m + (1 - beta1) * g
 * v  = beta2 * v + (1 - beta2) * g * g
 * vMax = max(vMax, v)                           (AMSGrad only; then v below is vMax)
 * w  = w - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * Defaults are PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay. The order of
 * operations follows {@code torch/optim/adam.py} ({@code _single_tensor_adam}) so float32 results
 * agree to rounding.
 */
public final class Adam implements UpdateRule<Adam.Hyper> {
    static final Adam RULE = new Adam("adam");
    static final Adam DECOUPLED = new Adam("adamw");

    private final String name;

    private Adam(String name) {
        this.name = name;
    }

    /** Adam with PyTorch's defaults; set what differs, add groups, then {@code build()}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> stateNames(Hyper h) {
        return h.amsgrad ? List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq") : List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    public void update(NDArray w, NDArray grad, NDArray[] state, Hyper h, long t, long count) {
        double lr = h.lr.at(t);
        double beta1 = h.beta1.at(t);
        double beta2 = h.beta2.at(t);
        double weightDecay = h.weightDecay.at(t);
        NDArray g = h.maximize ? grad.neg() : grad;
        if (h.decoupledWeightDecay) {
            if (weightDecay != 0) {
                w.muli(FusedOps.scalar(w, 1 - lr * weightDecay));
            }
        } else if (weightDecay != 0) {
            g = FusedOps.addScaled(g, w, weightDecay);
        }
        NDArray m = state[0];
        NDArray v = state[1];
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta1)), g, 1 - beta1);
        FusedOps.addProductInPlace(v.muli(FusedOps.scalar(v, beta2)), g, g, 1 - beta2);
        double stepSize = lr / (1 - Math.pow(beta1, count));
        double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, count));
        NDArray second = v;
        if (h.amsgrad) {
            v.maximum(state[2]).copyTo(state[2]);
            second = state[2];
        }
        NDArray denom = FusedOps.sqrt(second).divi(FusedOps.scalar(w, bias2Sqrt)).addi(FusedOps.scalar(w, h.eps.at(t)));
        w.addi(m.mul(FusedOps.scalar(m, -stepSize)).divi(denom));
    }

    @Override
    public ElementKernel kernel(Hyper h, long t, long count) {
        double lr = h.lr.at(t);
        double beta1 = h.beta1.at(t);
        double beta2 = h.beta2.at(t);
        double wd = h.weightDecay.at(t);
        boolean decoupled = h.decoupledWeightDecay;
        boolean maximize = h.maximize;
        boolean amsgrad = h.amsgrad;
        boolean decays = wd != 0;
        float decay = (float) wd;
        float shrink = (float) (1 - lr * wd);
        float b1 = (float) beta1;
        float oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        float negStepSize = (float) -(lr / (1 - Math.pow(beta1, count)));
        float bias2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, count));
        float eps = (float) h.eps.at(t);
        return (w, g, state, n) -> {
            if (maximize) {
                Loops.negate(g, n);
            }
            if (decays && decoupled) {
                Loops.scale(w, shrink, n);
            } else if (decays) {
                Loops.addScaled(g, w, decay, n);
            }
            float[] m = state[0];
            float[] v = state[1];
            if (amsgrad) {
                float[] vMax = state[2];
                for (int i = 0; i < n; i++) {
                    float mi = Math.fma(g[i], oneMinusB1, m[i] * b1);
                    float vi = Math.fma(oneMinusB2 * g[i], g[i], v[i] * b2);
                    float second = Math.max(vi, vMax[i]);
                    m[i] = mi;
                    v[i] = vi;
                    vMax[i] = second;
                    w[i] = w[i] + (negStepSize * mi) / ((float) Math.sqrt(second) / bias2Sqrt + eps);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    float mi = Math.fma(g[i], oneMinusB1, m[i] * b1);
                    float vi = Math.fma(oneMinusB2 * g[i], g[i], v[i] * b2);
                    m[i] = mi;
                    v[i] = vi;
                    w[i] = w[i] + (negStepSize * mi) / ((float) Math.sqrt(vi) / bias2Sqrt + eps);
                }
            }
        };
    }

    /**
     * Adam's hyperparameters. {@code decoupledWeightDecay} true is AdamW. As a group's overrides,
     * null fields inherit the optimizer's values.
     */
    public record Hyper(Schedule lr, Schedule beta1, Schedule beta2, Schedule eps, Schedule weightDecay,
                        Boolean amsgrad, Boolean maximize, Boolean decoupledWeightDecay)
            implements Hyperparams<Hyper> {
        @Override
        public UpdateRule<Hyper> rule() {
            return Boolean.TRUE.equals(decoupledWeightDecay) ? DECOUPLED : RULE;
        }

        @Override
        public Hyper overriddenBy(Hyper o) {
            return new Hyper(Rules.or(o.lr, lr), Rules.or(o.beta1, beta1), Rules.or(o.beta2, beta2), Rules.or(o.eps, eps),
                    Rules.or(o.weightDecay, weightDecay), Rules.or(o.amsgrad, amsgrad), Rules.or(o.maximize, maximize),
                    Rules.or(o.decoupledWeightDecay, decoupledWeightDecay));
        }

        @Override
        public Hyper withoutWeightDecay() {
            return new Hyper(lr, beta1, beta2, eps, Schedule.constant(0), amsgrad, maximize, decoupledWeightDecay);
        }

        @Override
        public void check(Checks c) {
            Rules.complete(c, this);
            Rules.nonNegative(c, "lr", lr);
            Rules.unitInterval(c, "beta1", beta1);
            Rules.unitInterval(c, "beta2", beta2);
            Rules.positive(c, "eps", eps);
            Rules.nonNegative(c, "weightDecay", weightDecay);
        }

    }

    /** Setters shared by the optimizer's defaults and a group's overrides. */
    public abstract static class Settings<S extends Settings<S>> extends CommonSettings<S> {
        Schedule beta1;
        Schedule beta2;
        Schedule eps;
        Boolean amsgrad;
        Boolean maximize;
        Boolean decoupledWeightDecay;


        public S beta1(double value) {
            return beta1(Schedule.constant(value));
        }

        public S beta1(Schedule value) {
            beta1 = value;
            return self();
        }

        public S beta2(double value) {
            return beta2(Schedule.constant(value));
        }

        public S beta2(Schedule value) {
            beta2 = value;
            return self();
        }

        /** Both betas, as PyTorch's {@code betas=(b1, b2)}. */
        public S betas(double beta1, double beta2) {
            return beta1(beta1).beta2(beta2);
        }

        public S eps(double value) {
            return eps(Schedule.constant(value));
        }

        public S eps(Schedule value) {
            eps = value;
            return self();
        }

        public S amsgrad(Boolean value) {
            amsgrad = value;
            return self();
        }

        public S maximize(Boolean value) {
            maximize = value;
            return self();
        }

        /** True applies weight decay to the weights directly, as AdamW does. */
        public S decoupledWeightDecay(Boolean value) {
            decoupledWeightDecay = value;
            return self();
        }

        Hyper hyper() {
            return new Hyper(lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay);
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

    /** Builds an Adam (or AdamW) spec. */
    public static final class Builder extends Settings<Builder> implements OptimizerBuilder<Hyper, Group, Builder> {
        private final SpecParts<Hyper, Group> parts = new SpecParts<>(Group::new, Group::hyper, this::hyper);

        Builder() {
            lr(1e-3).betas(0.9, 0.999).eps(1e-8).weightDecay(0).amsgrad(false).maximize(false)
                    .decoupledWeightDecay(false);
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
