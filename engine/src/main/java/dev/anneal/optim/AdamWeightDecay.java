package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.internal.FusedOps;

import java.util.List;

/**
 * MindSpore's {@code nn.AdamWeightDecay} (the BERT optimizer): Adam's moments without bias
 * correction, with the weight decay added to the update before the learning rate scales it:
 *
 * <pre>
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g * g
 * u = m / (sqrt(v) + eps) + weightDecay * w
 * w = w - lr * u
 * </pre>
 *
 * The decay is added even when it is 0, as MindSpore does for every parameter its decay filter
 * passes; {@code noWeightDecayOn} sets it to 0 for the rest. No MindSpore is here, so the rounding
 * is this file's: each line one multiply-add (the second moment's after {@code (1 - beta2) * g}),
 * the root correctly rounded. MindSpore takes no loss scale here. Defaults are MindSpore's: lr
 * 0.001, betas 0.9 and 0.999, eps 1e-6, no weight decay.
 */
public final class AdamWeightDecay implements Stage {
    private static final AdamWeightDecay RULE = new AdamWeightDecay();

    /** MindSpore's {@code nn.AdamWeightDecay}. */
    public static final Chain ADAM_WEIGHT_DECAY = Chain.builder("AdamWeightDecay",
                    "Adam without bias correction and with the decay inside the update, as MindSpore's "
                            + "`nn.AdamWeightDecay` computes it, with MindSpore's defaults.")
            .stages(RULE)
            .value(Hyperparameter.LR, 1e-3).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-6)
            .value(Hyperparameter.WEIGHT_DECAY, 0)
            .build();

    private AdamWeightDecay() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Adam.BETA1, Adam.BETA2, Hyperparameter.EPS, Hyperparameter.WEIGHT_DECAY);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("moment1", "moment2");
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double beta1 = h.at(Adam.BETA1, t);
        double beta2 = h.at(Adam.BETA2, t);
        NDArray m = state[0];
        NDArray v = state[1];
        FusedOps.addScaledInPlace(m.muli(FusedOps.scalar(m, beta1)), g, 1 - beta1);
        FusedOps.addProductInPlace(v.muli(FusedOps.scalar(v, beta2)), g, g, 1 - beta2);
        NDArray update = m.div(FusedOps.sqrt(v).addi(FusedOps.scalar(v, h.at(Hyperparameter.EPS, t))));
        FusedOps.addScaledInPlace(update, w, h.at(Hyperparameter.WEIGHT_DECAY, t));
        FusedOps.addScaledInPlace(w, update, -h.at(Hyperparameter.LR, t));
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
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float decay = (float) h.at(Hyperparameter.WEIGHT_DECAY, t);
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            for (int i = 0; i < n; i++) {
                m[i] = Math.fma(g[i], oneMinusB1, m[i] * b1);
                v[i] = Math.fma(oneMinusB2 * g[i], g[i], v[i] * b2);
                float update = Math.fma(decay, w[i], m[i] / ((float) Math.sqrt(v[i]) + eps));
                w[i] = Math.fma(update, negLr, w[i]);
            }
        };
    }
}
