package dev.anneal.grad;

import ai.djl.ndarray.NDArray;
import dev.anneal.config.Checks;
import dev.anneal.internal.FusedOps;
import dev.anneal.optim.ElementKernel;
import dev.anneal.optim.Hyperparameter;
import dev.anneal.optim.Hyperparams;
import dev.anneal.optim.Reduction;
import dev.anneal.optim.Stage;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Clipping by the norm of all gradients together, as {@code torch.nn.utils.clip_grad_norm_}
 * (PyTorch 1.13) computes it, over every parameter the optimizer updates ({@link #L2},
 * {@link #INF}) or over each group ({@link #perGroup()}):
 *
 * <pre>
 * total = ||(g_1, ..., g_n)||               (Euclidean, or the largest |g|; rounded to float32)
 * coef  = min(1, (1 / (total + 1e-6)) * maxNorm)     (float32, as torch's max_norm / tensor)
 * g     = g * coef
 * </pre>
 *
 * Over each tensor on its own ({@link #perTensor()}) it is Keras's {@code clipnorm}, with the rule
 * of {@code tf.clip_by_norm} (TF sums the squares in float32, Anneal in double, so the norm may
 * differ in its last bit):
 *
 * <pre>
 * norm = ||g||                                  (of this tensor alone; rounded to float32)
 * g    = (g * maxNorm) / max(norm, maxNorm)      (float32, two roundings, even when norm <= maxNorm)
 * </pre>
 *
 * {@code INF.perTensor()} takes the largest |g| as the norm in the same rule, which Keras does not
 * offer. Per tensor, {@code maxNorm} must be positive: Keras takes {@code clipnorm=0} as no
 * clipping, and the rule would divide a zero gradient by zero.
 *
 * The total is a {@link Reduction} taken before any weight moves, on the gradients as the stages
 * before this one leave them (after unscaling, say). A non-finite total scales the gradients to
 * NaN, as PyTorch's does, unless {@link #ERROR_IF_NONFINITE} refuses the step.
 */
public final class ClipGradNorm implements Stage {
    /** The largest norm the gradients keep. */
    public static final Hyperparameter<Schedule> MAX_NORM = Hyperparameter.value("maxNorm",
            Hyperparameter.Range.NON_NEGATIVE, "The largest norm the gradients keep; larger ones are scaled down to it.");
    /** PyTorch's {@code error_if_nonfinite}, off by default as in PyTorch 1.13. */
    public static final Hyperparameter<Boolean> ERROR_IF_NONFINITE = Hyperparameter.flag("errorIfNonfinite",
            "Refuses the step when the total norm is NaN or infinite, instead of scaling the gradients by it.");
    /** The Euclidean norm (PyTorch's {@code norm_type=2}) over all the optimizer's gradients. */
    public static final ClipGradNorm L2 = new ClipGradNorm(Reduction.Fold.SUM_OF_SQUARES, Reduction.Scope.OPTIMIZER);
    /** The largest absolute gradient (PyTorch's {@code norm_type=inf}) over all the optimizer's gradients. */
    public static final ClipGradNorm INF = new ClipGradNorm(Reduction.Fold.MAX_ABS, Reduction.Scope.OPTIMIZER);

    /** PyTorch's defaults: {@code norm_type=2} over all parameters, {@code error_if_nonfinite=False}. */
    public static final ClipGradNorm DEFAULT_NORM = L2;
    public static final boolean DEFAULT_ERROR_IF_NONFINITE = false;

    private final Reduction reduction;

    private ClipGradNorm(Reduction.Fold fold, Reduction.Scope scope) {
        this.reduction = new Reduction(fold, scope);
    }

    /** The same norm taken over each group on its own. */
    public ClipGradNorm perGroup() {
        return new ClipGradNorm(reduction.fold(), Reduction.Scope.GROUP);
    }

    /** The same norm taken over each tensor on its own, with Keras's rule ({@code clipnorm=}). */
    public ClipGradNorm perTensor() {
        return new ClipGradNorm(reduction.fold(), Reduction.Scope.TENSOR);
    }

    @Override
    public Kind kind() {
        return Kind.GRADIENT;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(MAX_NORM, ERROR_IF_NONFINITE);
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        if (reduction.scope() == Reduction.Scope.TENSOR) {
            Schedule maxNorm = h.get(MAX_NORM);
            boolean zero = c.step().isPresent() ? maxNorm.at(c.step().getAsLong()) == 0 : Schedule.isZero(maxNorm);
            c.require(!zero, MAX_NORM.name(), "must be positive when clipping per tensor, got " + maxNorm
                    + (c.step().isPresent() ? " (0 at this step)" : "") + ": Keras takes clipnorm=0 as no clipping; leave clipping out");
        }
    }

    @Override
    public List<Reduction> reductions(Hyperparams h) {
        return List.of(reduction);
    }

    @Override
    public Stage reduced(Hyperparams h, long step, double[] totals) {
        float norm = (float) reduction.fold().norm(totals[0]);
        if (h.flag(ERROR_IF_NONFINITE) && !Float.isFinite(norm)) {
            String which = (reduction.fold() == Reduction.Fold.SUM_OF_SQUARES ? "2" : "inf") + "-norm of "
                    + (reduction.scope() == Reduction.Scope.TENSOR ? "its gradient" : "the gradients");
            throw new ArithmeticException("the " + (reduction.scope() == Reduction.Scope.TENSOR ? "" : "total ") + which
                    + " is " + norm + " at step " + step + ", so it cannot be clipped (errorIfNonfinite); nothing was updated");
        }
        float maxNorm = (float) h.at(MAX_NORM, step);
        if (reduction.scope() == Reduction.Scope.TENSOR) {
            return new KerasClip(maxNorm, Math.max(norm, maxNorm));
        }
        float coef = Math.min(1f, (1f / (norm + 1e-6f)) * maxNorm);
        return new ScaleGradients(coef);
    }

    @Override
    public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        throw new IllegalStateException("clipping by a norm runs through its reduction");
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        throw new IllegalStateException("clipping by a norm runs through its reduction");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClipGradNorm c && reduction.equals(c.reduction);
    }

    @Override
    public int hashCode() {
        return reduction.hashCode();
    }

    @Override
    public String toString() {
        String norm = reduction.fold() == Reduction.Fold.SUM_OF_SQUARES ? "L2" : "INF";
        return "ClipGradNorm." + norm + switch (reduction.scope()) {
            case OPTIMIZER -> "";
            case GROUP -> ".perGroup()";
            case TENSOR -> ".perTensor()";
        };
    }

    /** One tensor's gradient as Keras clips it once its norm is known: {@code (g * maxNorm) / divisor}. */
    private record KerasClip(float maxNorm, float divisor) implements Stage {
        @Override
        public Kind kind() {
            return Kind.GRADIENT;
        }

        @Override
        public List<Hyperparameter<?>> hyperparameters() {
            return List.of();
        }

        @Override
        public NDArray apply(NDArray w, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
            return grad.mul(FusedOps.scalar(grad, maxNorm)).div(FusedOps.scalar(grad, divisor));
        }

        @Override
        public ElementKernel kernel(Hyperparams h, long step, long count) {
            return (w, g, state, n) -> {
                for (int i = 0; i < n; i++) {
                    g[i] = (g[i] * maxNorm) / divisor;
                }
            };
        }
    }
}
