package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.DecoupledDecay;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Adam (Kingma and Ba, 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1), as
 * {@code torch.optim.Adam} computes it, with AMSGrad (Reddi et al., 2018), after {@link Maximize}
 * and a weight decay stage:
 *
 * <pre>
 * m  = beta1 * m + (1 - beta1) * g
 * v  = beta2 * v + (1 - beta2) * g * g
 * vMax = max(vMax, v)                           (AMSGrad only; then v below is vMax)
 * w  = w - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * {@link #ADAM} decays with {@link L2Decay} in the gradient; {@link #ADAMW} (Loshchilov and
 * Hutter, 2019, {@code torch.optim.AdamW}) with {@link DecoupledDecay} on the weights, so both
 * share this one rule. Defaults are PyTorch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight
 * decay 0 (0.01 for AdamW). The order of operations follows {@code torch/optim/adam.py}
 * ({@code _single_tensor_adam}); the learning rate stays inside the rule, where PyTorch's
 * {@code addcdiv} rounds it, so float32 results agree bit for bit.
 */
public final class Adam implements Stage {
    public static final Hyperparameter<Schedule> BETA1 = Hyperparameter.value("beta1",
            Hyperparameter.Range.UNIT_INTERVAL, "The first moment's decay.");
    public static final Hyperparameter<Schedule> BETA2 = Hyperparameter.value("beta2",
            Hyperparameter.Range.UNIT_INTERVAL, "The second moment's decay.");
    public static final Hyperparameter<Boolean> AMSGRAD = Hyperparameter.flag("amsgrad",
            "AMSGrad's running maximum of the second moment.");

    private static final Adam RULE = new Adam();

    /** {@code torch.optim.Adam}. */
    public static final Chain ADAM = Chain.builder("Adam",
                    "Adam as `torch.optim.Adam` computes it, with PyTorch's defaults; AMSGrad and maximize.")
            .stages(Maximize.STAGE, L2Decay.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-3).value(BETA1, 0.9).value(BETA2, 0.999).value(Hyperparameter.EPS, 1e-8)
            .value(Hyperparameter.WEIGHT_DECAY, 0).flag(AMSGRAD, false).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    /** {@code torch.optim.AdamW}: Adam whose weight decay shrinks the weights instead of entering the gradient. */
    public static final Chain ADAMW = ADAM.toBuilder("AdamW",
                    "AdamW as `torch.optim.AdamW` computes it: Adam with decoupled weight decay, 0.01 by default.")
            .stages(Maximize.STAGE, DecoupledDecay.STAGE, RULE)
            .value(Hyperparameter.WEIGHT_DECAY, 0.01)
            .build();

    private Adam() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, BETA1, BETA2, Hyperparameter.EPS, AMSGRAD);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return h.flag(AMSGRAD) ? List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq") : List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(BETA1, t);
        double beta2 = h.at(BETA2, t);
        NDArray m = state[0];
        NDArray v = state[1];
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta1)), g, 1 - beta1);
        FusedOps.addProductInPlace(v.muli(FusedOps.scalar(v, beta2)), g, g, 1 - beta2);
        double stepSize = h.at(Hyperparameter.LR, t) / (1 - Math.pow(beta1, count));
        double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, count));
        NDArray second = v;
        if (h.flag(AMSGRAD)) {
            v.maximum(state[2]).copyTo(state[2]);
            second = state[2];
        }
        NDArray denom = FusedOps.sqrt(second).divi(FusedOps.scalar(w, bias2Sqrt)).addi(FusedOps.scalar(w, h.at(Hyperparameter.EPS, t)));
        w.addi(m.mul(FusedOps.scalar(m, -stepSize)).divi(denom));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double beta1 = h.at(BETA1, t);
        double beta2 = h.at(BETA2, t);
        float b1 = (float) beta1;
        float oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        float negStepSize = (float) -(h.at(Hyperparameter.LR, t) / (1 - Math.pow(beta1, count)));
        float bias2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, count));
        float eps = (float) h.at(Hyperparameter.EPS, t);
        if (h.flag(AMSGRAD)) {
            return (w, g, state, n) -> {
                float[] m = state[0];
                float[] v = state[1];
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
            };
        }
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            for (int i = 0; i < n; i++) {
                float mi = Math.fma(g[i], oneMinusB1, m[i] * b1);
                float vi = Math.fma(oneMinusB2 * g[i], g[i], v[i] * b2);
                m[i] = mi;
                v[i] = vi;
                w[i] = w[i] + (negStepSize * mi) / ((float) Math.sqrt(vi) / bias2Sqrt + eps);
            }
        };
    }
}
