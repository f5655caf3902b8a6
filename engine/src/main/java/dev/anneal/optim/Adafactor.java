package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.anneal.grad.Maximize;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

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
 * order); the rest rounds as torch's float32 operations. It runs on the generic path: its
 * reductions along rows and columns are libtorch's. Defaults are torch's: lr 0.01, beta2Decay
 * -0.8, eps1 float32's epsilon (torch's {@code eps[0] = None} for float32 parameters; for float64
 * ones torch takes float64's, 2.2e-16, which must be set here), eps2 1e-3, d 1, no decay.
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

    private static final Adafactor RULE = new Adafactor();

    /** {@code torch.optim.Adafactor}. */
    public static final Chain ADAFACTOR = Chain.builder("Adafactor",
                    "Adafactor as `torch.optim.Adafactor` computes it (factored second moments for matrices), with PyTorch's defaults.")
            .stages(Maximize.STAGE, RULE)
            .value(Hyperparameter.LR, 1e-2).value(BETA2_DECAY, -0.8).value(EPS1, Math.ulp(1f)).value(EPS2, 1e-3)
            .value(D, 1).value(Hyperparameter.WEIGHT_DECAY, 0).flag(Hyperparameter.MAXIMIZE, false)
            .build();

    private static final List<String> STATE = List.of("row_var", "col_var", "variance");

    private Adafactor() {
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

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
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
        throw new IllegalStateException("Adafactor is not element-wise: it runs on the generic path");
    }
}
