package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.DecoupledDecay;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;

import java.util.List;

/**
 * RAdam, rectified Adam (Liu et al., 2020, "On the Variance of the Adaptive Learning Rate and
 * Beyond", Algorithm 2), as {@code torch.optim.RAdam} computes it ({@code _single_tensor_radam}),
 * after {@link Maximize} and {@link L2Decay}, at the tensor's t-th update:
 *
 * <pre>
 * m    = beta1 * m + (1 - beta1) * g
 * v    = beta2 * v + (1 - beta2) * g * g
 * mHat = m / (1 - beta1^t)
 * rhoInf = 2 / (1 - beta2) - 1;  rho = rhoInf - 2 t beta2^t / (1 - beta2^t)
 * rho > 5:  w = w - mHat * lr * (sqrt(1 - beta2^t) / (sqrt(v) + eps)) * rect,
 *           rect = sqrt((rho - 4)(rho - 2) rhoInf / ((rhoInf - 4)(rhoInf - 2) rho))
 * else:     w = w - mHat * lr
 * </pre>
 *
 * Both moments start at zero. Each product rounds in PyTorch's order, left to right, and the
 * adaptive term is {@code reciprocal(sqrt(v) + eps) * sqrt(1 - beta2^t)}, as PyTorch's
 * {@code float / tensor} computes it. Maximize is torch 2.x's (the gradient negated first; torch
 * 1.13's RAdam has no such option). {@link #RADAMW} decays the weights instead, as torch 2.x's
 * {@code decoupled_weight_decay=True} does. Defaults are PyTorch's: lr 1e-3, betas (0.9, 0.999),
 * eps 1e-8, no weight decay.
 */
public final class RAdam implements Stage {
    private static final RAdam RULE = new RAdam();

    /** {@code torch.optim.RAdam}. */
    public static final Chain RADAM = Chain.builder("RAdam",
                    "RAdam as `torch.optim.RAdam` computes it, with PyTorch's defaults; maximize as torch 2.x has it.")
            .stages(Maximize.STAGE, L2Decay.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-3).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-8)
            .value(Hyperparameter.WEIGHT_DECAY, 0).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    /**
     * torch 2.x's {@code RAdam(decoupled_weight_decay=True)}: RAdam whose weight decay shrinks the
     * weights, {@code w = w * (1 - lr * weightDecay)}, instead of entering the gradient.
     */
    public static final Chain RADAMW = RADAM.toBuilder("RAdamW",
                    "RAdam with decoupled weight decay, as torch 2.x's `RAdam(decoupled_weight_decay=True)` computes it.")
            .stages(Maximize.STAGE, DecoupledDecay.STAGE, RULE)
            .build();

    private RAdam() {
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
        return List.of("exp_avg", "exp_avg_sq");
    }

    /** The rectification at a tensor's {@code count}-th update, in double as PyTorch's Python computes it; NaN where rho <= 5. */
    private static double rectification(double beta2, long count) {
        double bias2 = 1 - Math.pow(beta2, count);
        double rhoInf = 2 / (1 - beta2) - 1;
        double rho = rhoInf - 2 * count * Math.pow(beta2, count) / bias2;
        return rho > 5 ? Math.sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho)) : Double.NaN;
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        NDArray m = state[0];
        NDArray v = state[1];
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta1)), g, 1 - beta1);
        FusedOps.addProductInPlace(v.muli(FusedOps.scalar(v, beta2)), g, g, 1 - beta2);
        NDArray step = m.div(FusedOps.scalar(m, 1 - Math.pow(beta1, count))).muli(FusedOps.scalar(m, h.at(Hyperparameter.LR, t)));
        double rect = rectification(beta2, count);
        if (!Double.isNaN(rect)) {
            NDArray denominator = FusedOps.sqrt(v).addi(FusedOps.scalar(v, h.at(Hyperparameter.EPS, t)));
            NDArray adaptive = denominator.onesLike().divi(denominator)
                    .muli(FusedOps.scalar(v, Math.sqrt(1 - Math.pow(beta2, count))));
            step.muli(adaptive).muli(FusedOps.scalar(step, rect));
        }
        w.subi(step);
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        float b1 = (float) beta1;
        float oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        float bias1 = (float) (1 - Math.pow(beta1, count));
        float lr = (float) h.at(Hyperparameter.LR, t);
        double rectValue = rectification(beta2, count);
        if (Double.isNaN(rectValue)) {
            return (w, g, state, n) -> {
                float[] m = state[0];
                float[] v = state[1];
                for (int i = 0; i < n; i++) {
                    m[i] = Math.fma(g[i], oneMinusB1, m[i] * b1);
                    v[i] = Math.fma(oneMinusB2 * g[i], g[i], v[i] * b2);
                    w[i] = w[i] - (m[i] / bias1) * lr;
                }
            };
        }
        float rect = (float) rectValue;
        float bias2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, count));
        float eps = (float) h.at(Hyperparameter.EPS, t);
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            for (int i = 0; i < n; i++) {
                m[i] = Math.fma(g[i], oneMinusB1, m[i] * b1);
                v[i] = Math.fma(oneMinusB2 * g[i], g[i], v[i] * b2);
                float adaptive = (1f / ((float) Math.sqrt(v[i]) + eps)) * bias2Sqrt;
                w[i] = w[i] - (((m[i] / bias1) * lr) * adaptive) * rect;
            }
        };
    }
}
