package dev.anneal.optim;

/**
 * A scalar as PyTorch's Python code holds it: a Python float (a double) or a 0-dim tensor of
 * the parameters' type ({@code single}: float32). An operation with a tensor on either side
 * gives a tensor, computed in the tensor's type with the other side rounded to it
 * ({@code float / tensor} as {@code reciprocal(tensor) * float}, as {@code Tensor.__rtruediv__}
 * does); a comparison with a tensor is made in the tensor's type. Each float32 result is the
 * exact one rounded once: double holds the sum, product, quotient or root of two floats
 * closely enough that rounding it to float gives float arithmetic's own result.
 */
record TorchScalar(double value, boolean tensor, boolean single) {
    static final TorchScalar ZERO = of(0);
    static final TorchScalar ONE = of(1);

    static TorchScalar of(double value) {
        return new TorchScalar(value, false, false);
    }

    /** The tensor type of an operation of this and {@code o}, when either is a tensor: float32 or not. */
    private boolean singleWith(TorchScalar o) {
        return tensor ? single : o.single;
    }

    private static double round(boolean single, double x) {
        return single ? (float) x : x;
    }

    private TorchScalar result(TorchScalar o, double exact) {
        boolean s = singleWith(o);
        return new TorchScalar(round(s, exact), true, s);
    }

    TorchScalar plus(TorchScalar o) {
        return tensor || o.tensor ? result(o, in(o) + o.in(this)) : of(value + o.value);
    }

    TorchScalar minus(TorchScalar o) {
        return tensor || o.tensor ? result(o, in(o) - o.in(this)) : of(value - o.value);
    }

    TorchScalar times(TorchScalar o) {
        return tensor || o.tensor ? result(o, in(o) * o.in(this)) : of(value * o.value);
    }

    TorchScalar over(TorchScalar o) {
        if (tensor) {
            return result(o, in(o) / o.in(this));
        }
        return o.tensor ? result(o, round(o.single, 1 / o.value) * in(o)) : of(value / o.value);
    }

    /** This value in the type of an operation with {@code o}. */
    private double in(TorchScalar o) {
        return tensor || o.tensor ? round(singleWith(o), value) : value;
    }

    TorchScalar abs() {
        return new TorchScalar(Math.abs(value), tensor, single);
    }

    /** A tensor's square root, correctly rounded. */
    TorchScalar sqrt() {
        return new TorchScalar(round(single, Math.sqrt(value)), true, single);
    }

    static boolean less(TorchScalar a, TorchScalar b) {
        return a.in(b) < b.in(a);
    }

    static boolean lessOrEqual(TorchScalar a, TorchScalar b) {
        return a.in(b) <= b.in(a);
    }

    /** Python's {@code min(a, b)}: {@code a} unless {@code b < a}. */
    static TorchScalar min(TorchScalar a, TorchScalar b) {
        return less(b, a) ? b : a;
    }

    /** Python's {@code max(a, b)}: {@code a} unless {@code b > a}. */
    static TorchScalar max(TorchScalar a, TorchScalar b) {
        return less(a, b) ? b : a;
    }
}
