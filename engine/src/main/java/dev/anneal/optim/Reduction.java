package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.Objects;

/**
 * A number that a {@link Stage} needs from the gradients of every parameter it updates before
 * any of them changes, as {@code torch.nn.utils.clip_grad_norm_} needs the total norm: the
 * optimizer folds each tensor's gradient, as the stages before the reducing one leave it, into a
 * partial result, combines the partials in parameter order, and gives the total to
 * {@link Stage#reduced}. Both paths fold the same float32 values in double precision.
 *
 * @param fold  what is computed
 * @param scope which gradients the total covers
 */
public record Reduction(Fold fold, Scope scope) {
    public Reduction {
        Objects.requireNonNull(fold, "fold");
        Objects.requireNonNull(scope, "scope");
    }

    /** What a reduction computes. NaN or infinite gradients make every total non-finite. */
    public enum Fold {
        /** {@code sum(g * g)}: the square of the Euclidean norm. Each square is exact in double. */
        SUM_OF_SQUARES {
            @Override
            double block(double acc, float[] g, int n) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += (double) g[i] * g[i];
                }
                return acc + sum;
            }

            @Override
            double tensor(NDArray g) {
                NDArray wide = g.toType(DataType.FLOAT64, false);
                return wide.mul(wide).sum().getDouble();
            }

            @Override
            double combine(double a, double b) {
                return a + b;
            }
        },
        /** {@code max(|g|)}: the infinity norm. */
        MAX_ABS {
            @Override
            double block(double acc, float[] g, int n) {
                float max = 0;
                for (int i = 0; i < n; i++) {
                    // Math.max keeps a NaN, as torch's max does.
                    max = Math.max(max, Math.abs(g[i]));
                }
                return combine(acc, max);
            }

            @Override
            double tensor(NDArray g) {
                return g.abs().max().toType(DataType.FLOAT64, false).getDouble();
            }

            @Override
            double combine(double a, double b) {
                return Math.max(a, b);
            }
        };

        /** Folds {@code g[0, n)} into {@code acc}: the fused path, block by block. */
        abstract double block(double acc, float[] g, int n);

        /** One tensor's partial: the generic path, on the tensor's device. */
        abstract double tensor(NDArray g);

        /** Two partials into one; zero is the partial of no gradient. */
        abstract double combine(double a, double b);
    }

    /** Which gradients a total covers. */
    public enum Scope {
        /** Every parameter the optimizer updates with this stage reducing, over all its groups. */
        OPTIMIZER,
        /** The parameters of one group. */
        GROUP
    }
}
