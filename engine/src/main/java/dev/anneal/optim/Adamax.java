package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;

import java.util.List;

/**
 * Adamax, Adam with the infinity norm (Kingma and Ba, 2015, "Adam: A Method for Stochastic
 * Optimization", Algorithm 2), as {@code torch.optim.Adamax} computes it
 * ({@code _single_tensor_adamax}), after {@link Maximize} and {@link L2Decay}, at the tensor's
 * t-th update:
 *
 * <pre>
 * m = beta1 * m + (1 - beta1) * g
 * u = max(beta2 * u, |g| + eps)
 * w = w - (lr / (1 - beta1^t)) * m / u
 * </pre>
 *
 * Both start at zero. Each line rounds as PyTorch's CPU kernels do ({@code add(g, alpha)} as one
 * fused multiply-add, {@code addcdiv} as {@code w + (-clr * m) / u}). Defaults are PyTorch's:
 * lr 0.002, betas (0.9, 0.999), eps 1e-8, no weight decay.
 */
public final class Adamax implements Stage {
    private static final Adamax RULE = new Adamax();

    /** {@code torch.optim.Adamax}. */
    public static final Chain ADAMAX = Chain.builder("Adamax",
                    "Adamax as `torch.optim.Adamax` computes it, with PyTorch's defaults and maximize.")
            .stages(Maximize.STAGE, L2Decay.STAGE, RULE)
            .value(Hyperparameter.LR, 2e-3).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-8)
            .value(Hyperparameter.WEIGHT_DECAY, 0).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private Adamax() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, Hyperparameter.EPS);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("exp_avg", "exp_inf");
    }

    /** The step size at a tensor's {@code count}-th update, in double as PyTorch's Python computes it. */
    private static double clr(Hyperparams h, long t, long count) {
        return h.at(Hyperparameter.LR, t) / (1 - Math.pow(h.at(Adam.BETA1, t), count));
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        NDArray m = state[0];
        NDArray u = state[1];
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta1)), g, 1 - beta1);
        NDArray bound = g.abs().addi(FusedOps.scalar(g, h.at(Hyperparameter.EPS, t)));
        u.muli(FusedOps.scalar(u, h.at(Adam.BETA2, t))).maximum(bound).copyTo(u);
        w.addi(m.mul(FusedOps.scalar(m, -clr(h, t, count))).divi(u));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        float b1 = (float) beta1;
        float oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) h.at(Adam.BETA2, t);
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float negClr = (float) -clr(h, t, count);
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] u = state[1];
            for (int i = 0; i < n; i++) {
                m[i] = Math.fma(g[i], oneMinusB1, m[i] * b1);
                u[i] = Math.max(u[i] * b2, Math.abs(g[i]) + eps);
                w[i] = w[i] + (negClr * m[i]) / u[i];
            }
        };
    }
}
