package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.DecoupledDecay;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * NAdam, Adam with Nesterov momentum (Dozat, 2016, "Incorporating Nesterov Momentum into Adam"),
 * as torch 2.x's {@code _single_tensor_nadam} computes it, after {@link Maximize} and
 * {@link L2Decay}, at the tensor's t-th update:
 *
 * <pre>
 * mu_t   = beta1 * (1 - 0.5 * 0.96^(t * momentumDecay));  muProduct = muProduct * mu_t
 * m      = lerp(m, g, 1 - beta1)
 * v      = beta2 * v + (1 - beta2) * g * g
 * denom  = sqrt(v / (1 - beta2^t)) + eps
 * w      = w - lr * (1 - mu_t) / (1 - muProduct) * g / denom
 * w      = w - lr * mu_{t+1} / (1 - muProduct * mu_{t+1}) * m / denom
 * </pre>
 *
 * The product of the momentum factors is kept per tensor in float32 ({@code mu_product}, starting
 * at 1), as PyTorch keeps it. torch 1.13 multiplied {@code mu_t} into the last line's product a
 * second time and updated {@code m} with {@code mul_} and {@code add_}; torch 2.x fixed the first
 * and uses {@code lerp_}, and this rule is 2.x's, maximize and {@link #NADAMW} included. Defaults
 * are PyTorch's: lr 0.002, betas (0.9, 0.999), eps 1e-8, no weight decay, momentum decay 0.004.
 */
public final class NAdam implements Stage {
    public static final Hyperparameter<Schedule> MOMENTUM_DECAY = Hyperparameter.value("momentumDecay",
            Hyperparameter.Range.NON_NEGATIVE, "How fast the momentum factor approaches beta1 (psi; 0.004 in PyTorch).");
    private static final NAdam RULE = new NAdam(Float.NaN);

    /** {@code torch.optim.NAdam}. */
    public static final Chain NADAM = Chain.builder("NAdam",
                    "NAdam as torch 2.x's `torch.optim.NAdam` computes it, with PyTorch's defaults and maximize.")
            .stages(Maximize.STAGE, L2Decay.STAGE, RULE)
            .value(Hyperparameter.LR, 2e-3).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-8)
            .value(Hyperparameter.WEIGHT_DECAY, 0).value(MOMENTUM_DECAY, 4e-3).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    /**
     * torch 2.x's {@code NAdam(decoupled_weight_decay=True)}, NAdamW: the weights shrink,
     * {@code w = w * (1 - lr * weightDecay)}, instead of the decay entering the gradient.
     */
    public static final Chain NADAMW = NADAM.toBuilder("NAdamW",
                    "NAdam with decoupled weight decay, as torch 2.x's `NAdam(decoupled_weight_decay=True)` computes it.")
            .stages(Maximize.STAGE, DecoupledDecay.STAGE, RULE)
            .build();

    /** The tensor's product of momentum factors, this update's included; NaN in the chain's unbound rule. */
    private final float muProduct;

    private NAdam(float muProduct) {
        this.muProduct = muProduct;
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, Hyperparameter.EPS, MOMENTUM_DECAY);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    public List<String> scalarNames(Hyperparams h) {
        return List.of("mu_product");
    }

    @Override
    public double startsAt(String name, Hyperparams h) {
        return "mu_product".equals(name) ? 1 : 0;
    }

    /** The momentum factor of a tensor's {@code count}-th update, in double as PyTorch's Python computes it. */
    private static double mu(Hyperparams h, long t, long count) {
        return h.at(Adam.BETA1, t) * (1. - 0.5 * Math.pow(0.96, count * h.at(MOMENTUM_DECAY, t)));
    }

    @Override
    public Stage forUpdate(float[] scalars, Hyperparams h, long step, long count) {
        scalars[0] *= (float) mu(h, step, count);
        return new NAdam(scalars[0]);
    }

    /** The two step sizes, gradient's then momentum's, negated, as PyTorch's Python computes them. */
    private double[] stepSizes(Hyperparams h, long t, long count) {
        if (Float.isNaN(muProduct)) {
            throw new IllegalStateException("NAdam updates a tensor only as forUpdate binds it to its mu_product");
        }
        double lr = h.at(Hyperparameter.LR, t);
        double mu = mu(h, t, count);
        double muNext = mu(h, t, count + 1);
        return new double[] {-lr * (1. - mu) / (1. - muProduct), (-lr * muNext) / (1. - muProduct * muNext)};
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double[] sizes = stepSizes(h, t, count);
        double beta2 = h.at(Adam.BETA2, t);
        NDArray m = state[0];
        NDArray v = state[1];
        FusedOps.lerpInPlace(m, g, 1 - h.at(Adam.BETA1, t));
        FusedOps.addProductInPlace(v.muli(FusedOps.scalar(v, beta2)), g, g, 1 - beta2);
        NDArray denom = FusedOps.sqrt(v.div(FusedOps.scalar(v, 1 - Math.pow(beta2, count))))
                .addi(FusedOps.scalar(v, h.at(Hyperparameter.EPS, t)));
        w.addi(g.mul(FusedOps.scalar(g, sizes[0])).divi(denom));
        w.addi(m.mul(FusedOps.scalar(m, sizes[1])).divi(denom));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double[] sizes = stepSizes(h, t, count);
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        float lerp = Loops.lerpCoefficient(1 - beta1);
        boolean small = Math.abs((float) (1 - beta1)) < 0.5f;
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        float bias2 = (float) (1 - Math.pow(beta2, count));
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float gradSize = (float) sizes[0];
        float momentumSize = (float) sizes[1];
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            for (int i = 0; i < n; i++) {
                m[i] = Loops.lerp(m[i], g[i], lerp, small);
                v[i] = Math.fma(oneMinusB2 * g[i], g[i], v[i] * b2);
                float denom = (float) Math.sqrt(v[i] / bias2) + eps;
                w[i] = w[i] + (gradSize * g[i]) / denom;
                w[i] = w[i] + (momentumSize * m[i]) / denom;
            }
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NAdam other && Float.compare(muProduct, other.muProduct) == 0;
    }

    @Override
    public int hashCode() {
        return Float.hashCode(muProduct);
    }
}
