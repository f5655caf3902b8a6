package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.L2Decay;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Adadelta (Zeiler, 2012, "ADADELTA: An Adaptive Learning Rate Method", Algorithm 1), as
 * {@code torch.optim.Adadelta} computes it ({@code _single_tensor_adadelta}), after
 * {@link Maximize} and {@link L2Decay}:
 *
 * <pre>
 * v  = rho * v + (1 - rho) * g * g
 * d  = sqrt(a + eps) / sqrt(v + eps) * g
 * a  = rho * a + (1 - rho) * d * d
 * w  = w - lr * d
 * </pre>
 *
 * Both averages start at zero. Each line rounds as PyTorch's CPU kernels do ({@code addcmul} as
 * one fused multiply-add of {@code (1 - rho) * x} and {@code x}, {@code add(d, alpha=-lr)} as
 * one too). Defaults are PyTorch's: lr 1.0, rho 0.9, eps 1e-6, no weight decay.
 */
public final class Adadelta implements Stage {
    public static final Hyperparameter<Schedule> RHO = Hyperparameter.value("rho",
            Hyperparameter.Range.CLOSED_UNIT_INTERVAL, "The decay of both running averages.");

    private static final Adadelta RULE = new Adadelta();

    /** {@code torch.optim.Adadelta}. */
    public static final Chain ADADELTA = Chain.builder("Adadelta",
                    "Adadelta as `torch.optim.Adadelta` computes it, with PyTorch's defaults and maximize.")
            .stages(Maximize.STAGE, L2Decay.STAGE, RULE)
            .value(Hyperparameter.LR, 1.0).value(RHO, 0.9).value(Hyperparameter.EPS, 1e-6)
            .value(Hyperparameter.WEIGHT_DECAY, 0).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private Adadelta() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, RHO, Hyperparameter.EPS);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("square_avg", "acc_delta");
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double rho = h.at(RHO, t);
        Number eps = FusedOps.scalar(g, h.at(Hyperparameter.EPS, t));
        NDArray squareAvg = state[0];
        NDArray accDelta = state[1];
        FusedOps.addProductInPlace(squareAvg.muli(FusedOps.scalar(squareAvg, rho)), g, g, 1 - rho);
        NDArray std = FusedOps.sqrt(squareAvg.add(eps));
        NDArray delta = FusedOps.sqrt(accDelta.add(eps)).divi(std).muli(g);
        FusedOps.addProductInPlace(accDelta.muli(FusedOps.scalar(accDelta, rho)), delta, delta, 1 - rho);
        FusedOps.addScaledInPlace(w, delta, -h.at(Hyperparameter.LR, t));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        double rhoValue = h.at(RHO, t);
        float rho = (float) rhoValue;
        float oneMinusRho = (float) (1 - rhoValue);
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float negLr = (float) -h.at(Hyperparameter.LR, t);
        return (w, g, state, n) -> {
            float[] v = state[0];
            float[] a = state[1];
            for (int i = 0; i < n; i++) {
                v[i] = Math.fma(oneMinusRho * g[i], g[i], v[i] * rho);
                float d = ((float) Math.sqrt(a[i] + eps) / (float) Math.sqrt(v[i] + eps)) * g[i];
                a[i] = Math.fma(oneMinusRho * d, d, a[i] * rho);
                w[i] = Math.fma(d, negLr, w[i]);
            }
        };
    }
}
