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
                // Four sums side by side, for the same reason as NON_FINITE's: one would wait on each add.
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int i = 0;
                for (; i + 3 < n; i += 4) {
                    s0 += (double) g[i] * g[i];
                    s1 += (double) g[i + 1] * g[i + 1];
                    s2 += (double) g[i + 2] * g[i + 2];
                    s3 += (double) g[i + 3] * g[i + 3];
                }
                for (; i < n; i++) {
                    s0 += (double) g[i] * g[i];
                }
                return acc + ((s0 + s1) + (s2 + s3));
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

            @Override
            public double norm(double total) {
                return Math.sqrt(total);
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
        },
        /** Positive when some value is NaN or infinite, 0 when all are finite: the check before a step. */
        NON_FINITE {
            @Override
            double block(double acc, float[] g, int n) {
                // g * 0 is NaN exactly for NaN and infinity, and NaN survives a sum. Eight sums
                // run side by side: the JIT does not vectorise one float sum (its order is fixed),
                // and one sum would wait on each add; counting by bits is twice as slow again.
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
                int i = 0;
                for (; i + 7 < n; i += 8) {
                    s0 += g[i] * 0f;
                    s1 += g[i + 1] * 0f;
                    s2 += g[i + 2] * 0f;
                    s3 += g[i + 3] * 0f;
                    s4 += g[i + 4] * 0f;
                    s5 += g[i + 5] * 0f;
                    s6 += g[i + 6] * 0f;
                    s7 += g[i + 7] * 0f;
                }
                for (; i < n; i++) {
                    s0 += g[i] * 0f;
                }
                return Float.isNaN(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7) ? acc + 1 : acc;
            }

            @Override
            double tensor(NDArray g) {
                return g.isNaN().logicalOr(g.isInfinite()).countNonzero().getLong();
            }

            @Override
            double combine(double a, double b) {
                return a + b;
            }

            @Override
            public double norm(double total) {
                return Double.NaN;
            }
        };

        /** The norm a total stands for: the largest |g| itself, the square root of a sum of squares; NaN for a count. */
        public double norm(double total) {
            return total;
        }

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
