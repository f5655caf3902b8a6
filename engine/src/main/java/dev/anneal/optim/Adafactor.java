package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.internal.Loops;
import dev.anneal.schedule.Schedule;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Adafactor (Shazeer and Stern, 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory
 * Cost"), as {@code torch.optim.Adafactor} (torch 2.5, {@code _single_tensor_adafactor}) computes
 * it, after {@link Maximize}, at the tensor's t-th update:
 *
 * <pre>
 * beta = t^beta2Decay;   rho = min(lr, 1 / sqrt(t))
 * alpha = max(eps2, ||w|| / sqrt(n)) * rho                     (before the decay)
 * w = w * (1 - lr * weightDecay)
 * rank >= 2:  r = lerp(r, ||g||^2 over the last dim / cols, beta);  c = lerp(c, ||g||^2 over the one before / rows, beta)
 *             v = (r c) / max(mean of r over the rows, eps1)   (r: [..., rows, 1], c: [..., 1, cols])
 * otherwise:  v = lerp(v, g^2, beta)
 * u = g / sqrt(max(v, eps1^2))                                 (rsqrt, then the product)
 * w = w - (alpha / max(1, ||u|| / (sqrt(n) * d))) * u
 * </pre>
 *
 * A matrix, or a batch of them, keeps a second moment per row and per column rather than per
 * element (torch's {@code row_var} and {@code col_var}); vectors and scalars keep a full one
 * ({@code variance}); the arrays a tensor does not use are empty. The relative step is torch's
 * (no {@code relative_step} switch: rho is always min(lr, 1/sqrt(t))). The norms and the mean of
 * the rows are summed in double and rounded to float32 (torch sums them in float32, in its own
 * order); the rest rounds as torch's float32 operations. It is not element-wise (its reductions
 * run along rows and columns), so fused execution runs its {@link #fusedForm}: three passes in
 * Java over the tensor's own memory (two for a vector), with the same roundings. Defaults are
 * torch's: lr 0.01, beta2Decay -0.8, eps1 float32's epsilon (torch's {@code eps[0] = None} for
 * float32 parameters; for float64 ones torch takes float64's, 2.2e-16, which must be set here),
 * eps2 1e-3, d 1, no decay.
 */
public final class Adafactor implements Stage {
    public static final Hyperparameter<Schedule> BETA2_DECAY = Hyperparameter.value("beta2Decay",
            Hyperparameter.Range.NON_POSITIVE, "The second moments' rate is t^beta2Decay at the tensor's t-th update.");
    public static final Hyperparameter<Schedule> EPS1 = Hyperparameter.value("eps1", Hyperparameter.Range.POSITIVE,
            "The floor of the second moment (squared) and of the rows' mean (torch's eps[0]).");
    public static final Hyperparameter<Schedule> EPS2 = Hyperparameter.value("eps2", Hyperparameter.Range.NON_NEGATIVE,
            "The floor of the weights' root mean square in the step size (torch's eps[1]).");
    public static final Hyperparameter<Schedule> D = Hyperparameter.value("d", Hyperparameter.Range.POSITIVE,
            "The root mean square above which the update is scaled down to it (torch's d).");

    private static final Adafactor RULE = new Adafactor(false);
    private static final Adafactor IN_JAVA = new Adafactor(true);
    /** Elements a Java pass copies out of a tensor's memory at a time. */
    private static final int BLOCK = FusedBucket.BLOCK;

    /** {@code torch.optim.Adafactor}. */
    public static final Chain ADAFACTOR = Chain.builder("Adafactor",
                    "Adafactor as `torch.optim.Adafactor` computes it (factored second moments for matrices), with PyTorch's defaults.")
            .stages(Maximize.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-2).value(BETA2_DECAY, -0.8).value(EPS1, Math.ulp(1f)).value(EPS2, 1e-3)
            .value(D, 1).value(Hyperparameter.WEIGHT_DECAY, 0).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private static final List<String> STATE = List.of("row_var", "col_var", "variance");

    /** Whether this is the fused form, which computes in Java over float32 tensors in host memory. */
    private final boolean inJava;

    private Adafactor(boolean inJava) {
        this.inJava = inJava;
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, BETA2_DECAY, EPS1, EPS2, D, Hyperparameter.WEIGHT_DECAY);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return STATE;
    }

    /** A matrix's moments per row ({@code [..., rows, 1]}) and per column ({@code [..., 1, cols]}); a vector's per element; the rest empty. */
    @Override
    public Shape stateShape(String name, Shape weight, Hyperparams h) {
        boolean factored = weight.dimension() >= 2;
        long[] dims = weight.getShape();
        return switch (name) {
            case "row_var" -> factored ? withDimension(dims, dims.length - 1) : new Shape(0);
            case "col_var" -> factored ? withDimension(dims, dims.length - 2) : new Shape(0);
            default -> factored ? new Shape(0) : weight;
        };
    }

    private static Shape withDimension(long[] dims, int one) {
        long[] out = dims.clone();
        out[one] = 1;
        return new Shape(out);
    }

    @Override
    public boolean elementwise() {
        return false;
    }

    /** Three passes in Java over the tensor's memory (two for vectors), with the generic path's roundings. */
    @Override
    public Stage fusedForm() {
        return IN_JAVA;
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        if (inJava && FusedBucket.fusable(w) && FusedBucket.fusable(g)
                && Arrays.stream(state).allMatch(FusedBucket::fusable)) {
            new InJava(h, t, count, w.getShape()).update(FusedBucket.floats(w), FusedBucket.floats(g),
                    FusedBucket.floats(state[0]), FusedBucket.floats(state[1]), FusedBucket.floats(state[2]));
            return g;
        }
        double lr = h.at(Hyperparameter.LR, t);
        double beta = Math.pow(count, h.at(BETA2_DECAY, t));
        double rho = Math.min(lr, 1 / Math.pow(count, 0.5));
        double rms = (float) Math.sqrt(Reduction.Fold.SUM_OF_SQUARES.tensor(w)) / Math.pow(w.size(), 0.5);
        double alpha = pythonMax(h.at(EPS2, t), rms) * rho;
        double decay = h.at(Hyperparameter.WEIGHT_DECAY, t);
        if (decay != 0) {
            w.muli(FusedOps.scalar(w, 1 - lr * decay));
        }
        float eps1 = (float) h.at(EPS1, t);
        NDArray estimate;
        int rank = g.getShape().dimension();
        if (rank >= 2) {
            NDArray rows = state[0];
            NDArray cols = state[1];
            FusedOps.lerpInPlace(rows, squaredNorms(g, rank - 1).divi(g.getShape().get(rank - 1)), beta);
            FusedOps.lerpInPlace(cols, squaredNorms(g, rank - 2).divi(g.getShape().get(rank - 2)), beta);
            NDArray rowMean = rows.toType(DataType.FLOAT64, false).mean(new int[] {rank - 2}, true)
                    .toType(rows.getDataType(), false);
            estimate = rows.matMul(cols).divi(NDArrays.maximum(rowMean, eps1));
        } else {
            NDArray variance = state[2];
            FusedOps.lerpInPlace(variance, g.mul(g), beta);
            estimate = variance.duplicate();
        }
        NDArray floored = NDArrays.maximum(estimate, (float) (h.at(EPS1, t) * h.at(EPS1, t)));
        NDArray update = NDArrays.div(FusedOps.scalar(floored, 1), FusedOps.sqrt(floored)).muli(g);
        double updateRms = (float) Math.sqrt(Reduction.Fold.SUM_OF_SQUARES.tensor(update)) / (Math.pow(update.size(), 0.5)
                * h.at(D, t));
        FusedOps.addScaledInPlace(w, update, -alpha / pythonMax(1, updateRms));
        return g;
    }

    /** Python's {@code max(a, b)}, which torch's step sizes use: {@code a} unless {@code b} is larger, so a NaN {@code b} gives {@code a}. */
    private static double pythonMax(double a, double b) {
        return b > a ? b : a;
    }

    /** The squared Euclidean norms of {@code g} along {@code axis}, kept as a dimension of 1: summed in double, the norm rounded to float32, then squared. */
    private static NDArray squaredNorms(NDArray g, int axis) {
        NDArray norms = g.toType(DataType.FLOAT64, false).square().sum(new int[] {axis}, true).sqrt()
                .toType(g.getDataType(), false);
        return norms.mul(norms);
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        throw new IllegalStateException("Adafactor is not element-wise: it runs as its fused form or on the generic path");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Adafactor other && inJava == other.inJava;
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(inJava);
    }

    /**
     * One update in Java over float32 tensors in host memory, rounding as {@link #apply}'s
     * operations do: each norm summed in double (in this pass's order) and rounded to float32, every
     * other operation in float32, the square root correctly rounded and the final multiply-add
     * rounded once. The first pass sums the squares of the weights and of the gradient's rows and
     * columns (a vector's pass also forms its update and that update's squares), the second the
     * update's squares, the last writes the weights and the moments.
     */
    private static final class InJava {
        private final double lr;
        private final double rho;
        private final float coeff;
        private final boolean small;
        private final float eps1;
        private final float floor;
        private final double eps2;
        private final double d;
        private final float shrink;
        private final long[] dims;
        private final long size;

        InJava(Hyperparams h, long t, long count, Shape shape) {
            lr = h.at(Hyperparameter.LR, t);
            rho = Math.min(lr, 1 / Math.pow(count, 0.5));
            double beta = Math.pow(count, h.at(BETA2_DECAY, t));
            coeff = Loops.lerpCoefficient(beta);
            small = Math.abs((float) beta) < 0.5f;
            eps1 = (float) h.at(EPS1, t);
            floor = (float) (h.at(EPS1, t) * h.at(EPS1, t));
            eps2 = h.at(EPS2, t);
            d = h.at(D, t);
            shrink = (float) (1 - lr * h.at(Hyperparameter.WEIGHT_DECAY, t));
            dims = shape.getShape();
            size = shape.size();
        }

        /** {@code 1 / sqrt(max(estimate, eps1^2)) * g}: torch's clamp, rsqrt and product. */
        private float update(float estimate, float g) {
            return 1f / (float) Math.sqrt(Math.max(estimate, floor)) * g;
        }

        /** The weights' step size: {@code -alpha / max(1, rms(u) / d)}, from the sums of squares of the weights and the update. */
        private float stepSize(double weightSquares, double updateSquares) {
            double alpha = pythonMax(eps2, (float) Math.sqrt(weightSquares) / Math.pow(size, 0.5)) * rho;
            double updateRms = (float) Math.sqrt(updateSquares) / (Math.pow(size, 0.5) * d);
            return (float) (-alpha / pythonMax(1, updateRms));
        }

        void update(FloatBuffer w, FloatBuffer g, FloatBuffer rowVar, FloatBuffer colVar, FloatBuffer variance) {
            if (dims.length >= 2) {
                factored(w, g, rowVar, colVar);
            } else {
                full(w, g, variance);
            }
        }

        /** A vector or scalar: its second moment per element. */
        private void full(FloatBuffer w, FloatBuffer g, FloatBuffer variance) {
            int n = Math.toIntExact(size);
            float[] wb = new float[Math.min(n, BLOCK)];
            float[] gb = new float[wb.length];
            float[] vb = new float[wb.length];
            double weightSquares = 0;
            double updateSquares = 0;
            for (int at = 0; at < n; at += BLOCK) {
                int len = Math.min(BLOCK, n - at);
                w.get(at, wb, 0, len);
                g.get(at, gb, 0, len);
                variance.get(at, vb, 0, len);
                weightSquares = Reduction.Fold.SUM_OF_SQUARES.block(weightSquares, wb, len);
                for (int i = 0; i < len; i++) {
                    gb[i] = update(Loops.lerp(vb[i], gb[i] * gb[i], coeff, small), gb[i]);
                }
                updateSquares = Reduction.Fold.SUM_OF_SQUARES.block(updateSquares, gb, len);
            }
            float step = stepSize(weightSquares, updateSquares);
            for (int at = 0; at < n; at += BLOCK) {
                int len = Math.min(BLOCK, n - at);
                w.get(at, wb, 0, len);
                g.get(at, gb, 0, len);
                variance.get(at, vb, 0, len);
                for (int i = 0; i < len; i++) {
                    vb[i] = Loops.lerp(vb[i], gb[i] * gb[i], coeff, small);
                    wb[i] = Math.fma(update(vb[i], gb[i]), step, wb[i] * shrink);
                }
                variance.put(at, vb, 0, len);
                w.put(at, wb, 0, len);
            }
        }

        /** A matrix, or a batch of them: its second moment per row and per column of each. */
        private void factored(FloatBuffer w, FloatBuffer g, FloatBuffer rowVar, FloatBuffer colVar) {
            int cols = Math.toIntExact(dims[dims.length - 1]);
            int rows = Math.toIntExact(dims[dims.length - 2]);
            long matrices = 1;
            for (int i = 0; i < dims.length - 2; i++) {
                matrices *= dims[i];
            }
            int batch = Math.toIntExact(matrices);
            int block = Math.max(1, Math.min(cols, BLOCK));
            float[] wb = new float[block];
            float[] gb = new float[block];
            float[] newRows = new float[batch * rows];
            float[] newCols = new float[batch * cols];
            float[] rowMeans = new float[batch];
            double[] colSquares = new double[cols];
            double weightSquares = 0;
            for (int b = 0; b < batch; b++) {
                Arrays.fill(colSquares, 0);
                double rowSum = 0;
                for (int r = 0; r < rows; r++) {
                    double rowSquares = 0;
                    int start = (b * rows + r) * cols;
                    for (int c0 = 0; c0 < cols; c0 += block) {
                        int len = Math.min(block, cols - c0);
                        w.get(start + c0, wb, 0, len);
                        g.get(start + c0, gb, 0, len);
                        weightSquares = Reduction.Fold.SUM_OF_SQUARES.block(weightSquares, wb, len);
                        rowSquares = Reduction.Fold.SUM_OF_SQUARES.block(rowSquares, gb, len);
                        for (int i = 0; i < len; i++) {
                            colSquares[c0 + i] = Math.fma(gb[i], gb[i], colSquares[c0 + i]);
                        }
                    }
                    int at = b * rows + r;
                    newRows[at] = Loops.lerp(rowVar.get(at), meanSquare(rowSquares, cols), coeff, small);
                    rowSum += newRows[at];
                }
                for (int c = 0; c < cols; c++) {
                    int at = b * cols + c;
                    newCols[at] = Loops.lerp(colVar.get(at), meanSquare(colSquares[c], rows), coeff, small);
                }
                rowMeans[b] = Math.max((float) (rowSum / rows), eps1);
            }
            double[] updateSquares = {0};
            chunks(batch, rows, cols, block, (b, r, c0, len) -> {
                g.get((b * rows + r) * cols + c0, gb, 0, len);
                updates(gb, len, newRows[b * rows + r], newCols, b * cols + c0, rowMeans[b]);
                updateSquares[0] = Reduction.Fold.SUM_OF_SQUARES.block(updateSquares[0], gb, len);
            });
            float step = stepSize(weightSquares, updateSquares[0]);
            chunks(batch, rows, cols, block, (b, r, c0, len) -> {
                int start = (b * rows + r) * cols + c0;
                w.get(start, wb, 0, len);
                g.get(start, gb, 0, len);
                updates(gb, len, newRows[b * rows + r], newCols, b * cols + c0, rowMeans[b]);
                for (int i = 0; i < len; i++) {
                    wb[i] = Math.fma(gb[i], step, wb[i] * shrink);
                }
                w.put(start, wb, 0, len);
            });
            rowVar.put(0, newRows);
            colVar.put(0, newCols);
        }

        /** Turns {@code g[0, len)}, from one row at column {@code col}, into the update: the row's and columns' moments over the batch's mean row moment. */
        private void updates(float[] g, int len, float row, float[] cols, int col, float rowMean) {
            for (int i = 0; i < len; i++) {
                g[i] = update(row * cols[col + i] / rowMean, g[i]);
            }
        }

        /** One run of at most a block of a row's elements: matrix {@code b} of the batch, row {@code r}, from column {@code c0}. */
        @FunctionalInterface
        private interface Chunk {
            void at(int b, int r, int c0, int len);
        }

        /** Every row of every matrix in order, a block of columns at a time. */
        private static void chunks(int batch, int rows, int cols, int block, Chunk chunk) {
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < rows; r++) {
                    for (int c0 = 0; c0 < cols; c0 += block) {
                        chunk.at(b, r, c0, Math.min(block, cols - c0));
                    }
                }
            }
        }

        /** A row's or column's mean square as {@link Adafactor#squaredNorms} and the division give it: the norm in float32, squared, over the length. */
        private static float meanSquare(double squares, int length) {
            float norm = (float) Math.sqrt(squares);
            return norm * norm / (float) length;
        }
    }
}
