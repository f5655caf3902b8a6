package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.anneal.config.Checks;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.List;

/**
 * Muon (Jordan et al., 2024, "Muon: An optimizer for hidden layers in neural networks"), as
 * {@code torch.optim.Muon} (torch 2.9, {@code _single_tensor_muon}) computes it, for 2-D
 * parameters only, at each update:
 *
 * <pre>
 * b = b + (1 - momentum) * (g - b)                    (lerp; b starts at zero)
 * u = nesterov ? g + momentum * (b - g) : b
 * u = NewtonSchulz(u)                                 (in bfloat16, below)
 * w = w * (1 - lr * weightDecay)
 * w = w - lr * ratio * u;   ratio = sqrt(max(1, rows / cols)), or 0.2 * sqrt(max(rows, cols)) with matchRmsAdamW
 * </pre>
 *
 * NewtonSchulz orthogonalises: X = u / max(||u||, eps) in bfloat16, transposed when it has more
 * rows than columns, then {@code nsSteps} times {@code A = X X^T; B = b A + c A A; X = a X + B X}
 * with torch's coefficients (a, b, c) = (3.4445, -4.7750, 2.0315). Each product of bfloat16
 * matrices is summed in float32 and rounded to bfloat16 once, as torch 2.x's kernels do (cuBLAS,
 * and the CPU's); here the sums are libtorch's float32 products and the rounding is done in
 * float32 arrays, so the bits can differ from torch's where the two sum in different orders (they
 * do not on the reference cases). The rule runs on the generic path only: its work is matrix
 * products, which libtorch does best, on the CPU and on a GPU. Any other shape than a matrix is
 * refused: give vectors, scalars and convolutions another optimizer, as PyTorch's users do (AdamW
 * beside Muon). Defaults are PyTorch's: lr 1e-3, weight decay 0.1, momentum 0.95, Nesterov, eps
 * 1e-7, 5 steps.
 */
public final class Muon implements Stage {
    public static final Hyperparameter<Schedule> NS_A = Hyperparameter.value("nsA", Hyperparameter.Range.FINITE,
            "Newton-Schulz's coefficient of X (torch's ns_coefficients[0]).");
    public static final Hyperparameter<Schedule> NS_B = Hyperparameter.value("nsB", Hyperparameter.Range.FINITE,
            "Newton-Schulz's coefficient of X X^T X (torch's ns_coefficients[1]).");
    public static final Hyperparameter<Schedule> NS_C = Hyperparameter.value("nsC", Hyperparameter.Range.FINITE,
            "Newton-Schulz's coefficient of (X X^T)^2 X (torch's ns_coefficients[2]).");
    public static final Hyperparameter<Schedule> NS_STEPS = Hyperparameter.value("nsSteps",
            Hyperparameter.Range.NON_NEGATIVE, "Newton-Schulz iterations: a whole number below 100.");
    public static final Hyperparameter<Boolean> MATCH_RMS_ADAMW = Hyperparameter.flag("matchRmsAdamW",
            "Scales the step by 0.2 * sqrt(max(rows, cols)), to match AdamW's update size (torch's "
                    + "adjust_lr_fn=\"match_rms_adamw\"), instead of sqrt(max(1, rows / cols)).");

    private static final Muon RULE = new Muon();

    /** {@code torch.optim.Muon}. */
    public static final Chain MUON = Chain.builder("Muon",
                    "Muon as `torch.optim.Muon` computes it, for 2-D parameters, with PyTorch's defaults.")
            .stages(RULE)
            .value(Hyperparameter.LR, 1e-3).value(Hyperparameter.WEIGHT_DECAY, 0.1).value(Sgd.MOMENTUM, 0.95)
            .flag(Sgd.NESTEROV, true).value(NS_A, 3.4445).value(NS_B, -4.775).value(NS_C, 2.0315)
            .value(Hyperparameter.EPS, 1e-7).value(NS_STEPS, 5).flag(MATCH_RMS_ADAMW, false)
            .build();

    private Muon() {
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, Hyperparameter.WEIGHT_DECAY, Sgd.MOMENTUM, Sgd.NESTEROV, NS_A, NS_B, NS_C,
                Hyperparameter.EPS, NS_STEPS, MATCH_RMS_ADAMW);
    }

    @Override
    public List<String> stateNames(Hyperparams h) {
        return List.of("momentum_buffer");
    }

    @Override
    public boolean elementwise() {
        return false;
    }

    @Override
    public String refuses(Shape shape) {
        return shape.dimension() == 2 ? null : "Muon updates 2-D matrices only, got shape " + shape
                + "; give the other parameters another optimizer (adamW() beside muon(), as PyTorch users do)";
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        for (Hyperparameter<Schedule> constant : List.of(NS_A, NS_B, NS_C, NS_STEPS)) {
            h.requireConstant(constant, c, "the Newton-Schulz iteration");
        }
        double steps = h.start(NS_STEPS);
        c.require(steps == Math.rint(steps) && steps < 100, NS_STEPS.name(),
                "must be a whole number below 100, as in torch, got " + steps);
    }

    @Override
    public NDArray apply(NDArray w, NDArray g, NDArray[] state, Hyperparams h, long t, long count) {
        double momentum = h.at(Sgd.MOMENTUM, t);
        double lr = h.at(Hyperparameter.LR, t);
        NDArray buffer = state[0];
        FusedOps.lerpInPlace(buffer, g, 1 - momentum);
        NDArray update = buffer;
        if (h.flag(Sgd.NESTEROV)) {
            update = g.duplicate();
            FusedOps.lerpInPlace(update, buffer, momentum);
        }
        NDArray orthogonal = newtonSchulz(update, h, t).toType(w.getDataType(), false);
        w.muli(FusedOps.scalar(w, 1 - lr * h.at(Hyperparameter.WEIGHT_DECAY, t)));
        FusedOps.addScaledInPlace(w, orthogonal, -lr * ratio(w.getShape(), h));
        return g;
    }

    /** torch's {@code _adjust_lr}: the factor on the learning rate for a {@code rows x cols} matrix. */
    private static double ratio(Shape shape, Hyperparams h) {
        double rows = shape.get(0);
        double cols = shape.get(1);
        return h.flag(MATCH_RMS_ADAMW) ? 0.2 * Math.sqrt(Math.max(rows, cols)) : Math.sqrt(Math.max(1, rows / cols));
    }

    /** torch's {@code _zeropower_via_newtonschulz}, in float32 arrays that hold bfloat16 values. */
    private static NDArray newtonSchulz(NDArray update, Hyperparams h, long t) {
        float a = (float) h.start(NS_A);
        float b = (float) h.start(NS_B);
        float c = (float) h.start(NS_C);
        boolean tall = update.getShape().get(0) > update.getShape().get(1);
        NDArray x = bfloat16(update.toType(DataType.FLOAT32, false));
        if (tall) {
            x = x.transpose();
        }
        double sumOfSquares = Reduction.Fold.SUM_OF_SQUARES.tensor(x);
        float norm = roundToBfloat16((float) Math.sqrt(sumOfSquares));
        float divisor = Math.max(norm, roundToBfloat16((float) h.at(Hyperparameter.EPS, t)));
        x = bfloat16(x.div(divisor));
        for (int i = 0; i < (int) h.start(NS_STEPS); i++) {
            NDArray gram = bfloat16(x.matMul(x.transpose()));
            NDArray polynomial = bfloat16(gram.matMul(gram).muli(c).addi(gram.mul(b)));
            x = bfloat16(polynomial.matMul(x).addi(x.mul(a)));
        }
        return tall ? x.transpose() : x;
    }

    /**
     * The values of {@code x} rounded to bfloat16's 8 significant bits, kept in float32 (whose
     * exponent range bfloat16 shares): Veltkamp's split, {@code t = x * (2^16 + 1); x' = t - (t - x)},
     * which rounds to nearest (a tie may go either way) in three float32 operations on any
     * device. DJL 0.35.1 cannot be asked: converting a PyTorch array to bfloat16 aborts the JVM.
     */
    private static NDArray bfloat16(NDArray x) {
        NDArray t = x.mul(65537f);
        return t.sub(t.sub(x));
    }

    private static float roundToBfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long t, long count) {
        throw new IllegalStateException("Muon is not element-wise: it runs on the generic path");
    }
}
