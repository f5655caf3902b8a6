package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * RMSprop (Hinton, 2012, "Neural Networks for Machine Learning", lecture 6e; centered as in
 * Graves, 2013, "Generating Sequences With Recurrent Neural Networks"), as
 * {@code torch.optim.RMSprop} computes it ({@code _single_tensor_rmsprop}), after {@link Maximize}
 * and {@link L2Decay}:
 *
 * <pre>
 * v   = alpha * v + (1 - alpha) * g * g
 * gAv = alpha * gAv + (1 - alpha) * g               (centered only)
 * avg = sqrt(v - gAv * gAv) + eps                   (centered; else sqrt(v) + eps)
 * b   = momentum * b + g / avg;  w = w - lr * b     (momentum > 0)
 * w   = w - lr * g / avg                            (momentum 0)
 * </pre>
 *
 * Every average starts at zero. Each line rounds as PyTorch's CPU kernels do: {@code addcmul}
 * as one fused multiply-add of {@code (1 - alpha) * g} and {@code g}, {@code addcdiv} as
 * {@code w + (-lr * g) / avg}. Defaults are PyTorch's: lr 0.01, alpha 0.99, eps 1e-8, no
 * momentum, not centered, no weight decay.
 */
public final class RmsProp implements Stage {
    public static final Hyperparameter<Schedule> ALPHA = Hyperparameter.value("alpha",
            Hyperparameter.Range.CLOSED_UNIT_INTERVAL, "The smoothing constant of the squared-gradient average.");
    public static final Hyperparameter<Boolean> CENTERED = Hyperparameter.flag("centered",
            "Normalises by the gradient's estimated variance instead of its second moment.");

    private static final RmsProp RULE = new RmsProp();

    /** {@code torch.optim.RMSprop}. */
    public static final Chain RMSPROP = Chain.builder("RmsProp",
                    "RMSprop as `torch.optim.RMSprop` computes it, with PyTorch's defaults: centered, momentum and maximize.")
            .stages(Maximize.STAGE, L2Decay.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-2).value(ALPHA, 0.99).value(Hyperparameter.EPS, 1e-8)
            .value(Hyperparameter.WEIGHT_DECAY, 0).value(Sgd.MOMENTUM, 0).flag(CENTERED, false)
            .flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private RmsProp() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, ALPHA, Hyperparameter.EPS, Sgd.MOMENTUM, CENTERED);
    }

    /** PyTorch's names and order: the momentum buffer only with momentum, the gradient average only centered. */
    @Override
    public List<String> stateNames(Hyperparams h) {
        boolean momentum = !Schedule.isZero(h.get(Sgd.MOMENTUM));
        boolean centered = h.flag(CENTERED);
        if (momentum && centered) {
            return List.of("square_avg", "momentum_buffer", "grad_avg");
        }
        return momentum ? List.of("square_avg", "momentum_buffer") : centered ? List.of("square_avg", "grad_avg")
                : List.of("square_avg");
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double alpha = h.at(ALPHA, t);
        double momentum = h.at(Sgd.MOMENTUM, t);
        boolean hasBuffer = !Schedule.isZero(h.get(Sgd.MOMENTUM));
        NDArray squareAvg = state[0];
        FusedOps.addProductInPlace(squareAvg.muli(FusedOps.scalar(squareAvg, alpha)), g, g, 1 - alpha);
        NDArray avg;
        if (h.flag(CENTERED)) {
            NDArray gradAvg = state[hasBuffer ? 2 : 1];
            FusedOps.addScaledInPlace(gradAvg.muli(FusedOps.scalar(gradAvg, alpha)), g, 1 - alpha);
            avg = squareAvg.duplicate();
            FusedOps.addProductInPlace(avg, gradAvg, gradAvg, -1);
            avg = FusedOps.sqrt(avg);
        } else {
            avg = FusedOps.sqrt(squareAvg);
        }
        avg.addi(FusedOps.scalar(avg, h.at(Hyperparameter.EPS, t)));
        double lr = h.at(Hyperparameter.LR, t);
        if (momentum > 0) {
            NDArray buffer = state[1];
            buffer.muli(FusedOps.scalar(buffer, momentum)).addi(g.div(avg));
            FusedOps.addScaledInPlace(w, buffer, -lr);
        } else {
            w.addi(g.mul(FusedOps.scalar(g, -lr)).divi(avg));
        }
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double alphaValue = h.at(ALPHA, t);
        float alpha = (float) alphaValue;
        float oneMinusAlpha = (float) (1 - alphaValue);
        float eps = (float) h.at(Hyperparameter.EPS, t);
        double momentumValue = h.at(Sgd.MOMENTUM, t);
        float momentum = (float) momentumValue;
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        boolean centered = h.flag(CENTERED);
        int gradAvgAt = Schedule.isZero(h.get(Sgd.MOMENTUM)) ? 1 : 2;
        // A loop per option: one with branches inside is left scalar.
        if (momentumValue > 0) {
            if (centered) {
                return (w, g, state, n) -> {
                    float[] v = state[0];
                    float[] b = state[1];
                    float[] m = state[2];
                    for (int i = 0; i < n; i++) {
                        v[i] = Math.fma(oneMinusAlpha * g[i], g[i], v[i] * alpha);
                        m[i] = Math.fma(g[i], oneMinusAlpha, m[i] * alpha);
                        float avg = (float) Math.sqrt(Math.fma(-m[i], m[i], v[i])) + eps;
                        b[i] = b[i] * momentum + g[i] / avg;
                        w[i] = Math.fma(b[i], negLr, w[i]);
                    }
                };
            }
            return (w, g, state, n) -> {
                float[] v = state[0];
                float[] b = state[1];
                for (int i = 0; i < n; i++) {
                    v[i] = Math.fma(oneMinusAlpha * g[i], g[i], v[i] * alpha);
                    float avg = (float) Math.sqrt(v[i]) + eps;
                    b[i] = b[i] * momentum + g[i] / avg;
                    w[i] = Math.fma(b[i], negLr, w[i]);
                }
            };
        }
        if (centered) {
            return (w, g, state, n) -> {
                float[] v = state[0];
                float[] m = state[gradAvgAt];
                for (int i = 0; i < n; i++) {
                    v[i] = Math.fma(oneMinusAlpha * g[i], g[i], v[i] * alpha);
                    m[i] = Math.fma(g[i], oneMinusAlpha, m[i] * alpha);
                    float avg = (float) Math.sqrt(Math.fma(-m[i], m[i], v[i])) + eps;
                    w[i] = w[i] + (negLr * g[i]) / avg;
                }
            };
        }
        return (w, g, state, n) -> {
            float[] v = state[0];
            for (int i = 0; i < n; i++) {
                v[i] = Math.fma(oneMinusAlpha * g[i], g[i], v[i] * alpha);
                w[i] = w[i] + (negLr * g[i]) / ((float) Math.sqrt(v[i]) + eps);
            }
        };
    }
}
