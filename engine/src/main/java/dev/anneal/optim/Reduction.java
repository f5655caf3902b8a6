package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.Objects;

/**
 * A number that a {@link Stage} needs from every parameter it updates before any of them
 * changes, as {@code torch.nn.utils.clip_grad_norm_} needs the total norm of the gradients and
 * LAMB each tensor's norm of its weights and of its update: the optimizer folds each tensor's
 * {@link Measure values} into a partial result, combines the partials in parameter order, and
 * gives the totals of all the stage's reductions, in order, to {@link Stage#reduced}. Both paths
 * fold the same float32 values in double precision, in one read of the memory for all of them.
 *
 * @param fold    what is computed
 * @param scope   which tensors the total covers
 * @param measure which values are folded
 */
public record Reduction(Fold fold, Scope scope, Measure measure) {
    public Reduction {
        Objects.requireNonNull(fold, "fold");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(measure, "measure");
    }

    /** A reduction over the gradients. */
    public Reduction(Fold fold, Scope scope) {
        this(fold, scope, Measure.GRADIENT);
    }

    /** Which values of a tensor a reduction folds. */
    public enum Measure {
        /** The gradient, as the stages before the reducing one leave it. */
        GRADIENT,
        /** The weight, as it is before the step. */
        WEIGHT,
        /**
         * What the reducing stage's {@link Stage#measure} computes from the weight, that gradient
         * and the stage's own state before the step (LAMB's update); a stage with several such
         * reductions measures once for each, numbered in the order it declares them.
         */
        STAGE
    }

    /** What a reduction computes. NaN or infinite gradients make every total non-finite. */
    public enum Fold {
        /** {@code sum(g * g)}: the square of the Euclidean norm. Each square is exact in double. */
        SUM_OF_SQUARES {
            @Override
            double block(double acc, float[] g, int n) {
                // Eight sums side by side: one would wait on each add, and the JIT vectorises
                // neither a float-to-double loop nor a sum whose order is fixed. A float's square
                // is exact in double, so fma(g, g, s) is s + g * g to the bit, in one instruction.
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
                int i = 0;
                for (; i + 7 < n; i += 8) {
                    double g0 = g[i], g1 = g[i + 1], g2 = g[i + 2], g3 = g[i + 3];
                    double g4 = g[i + 4], g5 = g[i + 5], g6 = g[i + 6], g7 = g[i + 7];
                    s0 = Math.fma(g0, g0, s0);
                    s1 = Math.fma(g1, g1, s1);
                    s2 = Math.fma(g2, g2, s2);
                    s3 = Math.fma(g3, g3, s3);
                    s4 = Math.fma(g4, g4, s4);
                    s5 = Math.fma(g5, g5, s5);
                    s6 = Math.fma(g6, g6, s6);
                    s7 = Math.fma(g7, g7, s7);
                }
                for (; i < n; i++) {
                    s0 = Math.fma(g[i], g[i], s0);
                }
                return acc + (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
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
        /** {@code sum(g)}: a plain sum (Prodigy's distance estimate), each value widened to double. */
        SUM {
            @Override
            double block(double acc, float[] g, int n) {
                // Eight sums side by side, for the same reason as the squares'.
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
                int i = 0;
                for (; i + 7 < n; i += 8) {
                    s0 += g[i];
                    s1 += g[i + 1];
                    s2 += g[i + 2];
                    s3 += g[i + 3];
                    s4 += g[i + 4];
                    s5 += g[i + 5];
                    s6 += g[i + 6];
                    s7 += g[i + 7];
                }
                for (; i < n; i++) {
                    s0 += g[i];
                }
                return acc + (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)));
            }

            @Override
            double tensor(NDArray g) {
                return g.toType(DataType.FLOAT64, false).sum().getDouble();
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
                // Eight maxima side by side, for the same reason as the sums'. Math.max keeps a
                // NaN, as torch's max does.
                float m0 = 0, m1 = 0, m2 = 0, m3 = 0, m4 = 0, m5 = 0, m6 = 0, m7 = 0;
                int i = 0;
                for (; i + 7 < n; i += 8) {
                    m0 = Math.max(m0, Math.abs(g[i]));
                    m1 = Math.max(m1, Math.abs(g[i + 1]));
                    m2 = Math.max(m2, Math.abs(g[i + 2]));
                    m3 = Math.max(m3, Math.abs(g[i + 3]));
                    m4 = Math.max(m4, Math.abs(g[i + 4]));
                    m5 = Math.max(m5, Math.abs(g[i + 5]));
                    m6 = Math.max(m6, Math.abs(g[i + 6]));
                    m7 = Math.max(m7, Math.abs(g[i + 7]));
                }
                for (; i < n; i++) {
                    m0 = Math.max(m0, Math.abs(g[i]));
                }
                float max = Math.max(Math.max(Math.max(m0, m1), Math.max(m2, m3)), Math.max(Math.max(m4, m5), Math.max(m6, m7)));
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

        /** The norm a total stands for: the largest |g| itself, the square root of a sum of squares. */
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

    /** Which tensors a total covers. */
    public enum Scope {
        /** Every parameter the optimizer updates with this stage reducing, over all its groups. */
        OPTIMIZER,
        /** The parameters of one group. */
        GROUP,
        /** Each parameter on its own: {@link Stage#reduced} is asked once per tensor. */
        TENSOR
    }
}
