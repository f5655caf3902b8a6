package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;

import java.util.List;

/**
 * Adam for row-sparse gradients, as {@code torch.optim.SparseAdam} (PyTorch 1.13,
 * {@code _functional.sparse_adam}) computes it, after {@link Maximize}, on the rows of a tensor
 * whose gradient is not all zero, at the tensor's t-th update:
 *
 * <pre>
 * m = m + (g - m) * (1 - beta1)
 * v = v + (g * g - v) * (1 - beta2)
 * s = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 * w = w + (-s) * (m / (sqrt(v) + eps))
 * </pre>
 *
 * Every other row keeps its weights and both moments bit for bit ({@link Stage#touchedRowsOnly}),
 * while {@code t} counts every update of the tensor, as PyTorch's per-parameter step does. A row
 * is a slice along the first dimension (PyTorch's sparse gradients of embeddings have one index
 * per row): DJL's gradients are dense, so a row with no gradient is one that is all zero, where
 * PyTorch goes by the rows its sparse gradient lists (a listed row of zeros would count there).
 * The moments move by a difference and the corrections sit in the step size, each operation
 * rounded in float32 as PyTorch's kernels round it; the step size is MindSpore Adam's, in double. Defaults are PyTorch's: lr 1e-3, betas
 * (0.9, 0.999), eps 1e-8.
 */
public final class SparseAdam implements Stage {
    private static final SparseAdam RULE = new SparseAdam();

    /** {@code torch.optim.SparseAdam}. */
    public static final Chain SPARSE_ADAM = Chain.builder("SparseAdam",
                    "Adam over the rows with a gradient only, as `torch.optim.SparseAdam` computes it, with PyTorch's defaults "
                            + "and maximize; the other rows and their moments stay as they are.")
            .stages(Maximize.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-3).value(Adam.BETA1, 0.9).value(Adam.BETA2, 0.999).value(Hyperparameter.EPS, 1e-8)
            .flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private SparseAdam() {
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

    @Override
    public boolean touchedRowsOnly(Hyperparams h) {
        return true;
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        NDArray m = state[0];
        NDArray v = state[1];
        m.addi(g.sub(m).muli(FusedOps.scalar(m, 1 - h.at(Adam.BETA1, t))));
        v.addi(g.mul(g).subi(v).muli(FusedOps.scalar(v, 1 - h.at(Adam.BETA2, t))));
        NDArray denom = FusedOps.sqrt(v).addi(FusedOps.scalar(v, h.at(Hyperparameter.EPS, t)));
        w.addi(m.div(denom).muli(FusedOps.scalar(w, -MindSporeAdam.stepSize(h, t, count))));
        return g;
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        float oneMinusB1 = (float) (1 - h.at(Adam.BETA1, t));
        float oneMinusB2 = (float) (1 - h.at(Adam.BETA2, t));
        float eps = (float) h.at(Hyperparameter.EPS, t);
        float negStep = (float) -MindSporeAdam.stepSize(h, t, count);
        return (w, g, state, n) -> {
            float[] m = state[0];
            float[] v = state[1];
            for (int i = 0; i < n; i++) {
                m[i] = m[i] + (g[i] - m[i]) * oneMinusB1;
                v[i] = v[i] + (g[i] * g[i] - v[i]) * oneMinusB2;
                w[i] = w[i] + negStep * (m[i] / ((float) Math.sqrt(v[i]) + eps));
            }
        };
    }
}
