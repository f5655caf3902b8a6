package dev.anneal.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;

/**
 * Multiply-adds rounded once, the way PyTorch's vectorised CPU kernels compute
 * {@code a.add(b, alpha=s)} and {@code v.addcmul(t1, t2, value=s)} (with a fused multiply-add).
 * DJL has no such operation. Arrays in host memory take {@link Math#fma} element by element.
 * On other devices the sum is formed in float64, where the product of two float32 values is
 * exact, and rounded back once (with a tie that float64 rounding made resolved as the exact sum
 * would): some twenty array operations, several times the host loop's time on the CPU. Without
 * this, float32 trajectories drift from PyTorch's by up to 1e-3 relative over 100 steps wherever
 * a value passes near zero.
 */
public final class FusedOps {
    private FusedOps() {
    }

    /** {@code a + s * b} as a new array, rounded once; {@code s} is used as a float32 first for float32 and float16. */
    public static NDArray addScaled(NDArray a, NDArray b, double s) {
        DataType type = a.getDataType();
        if (type == DataType.FLOAT64 && onHost(a, b)) {
            double[] x = a.toDoubleArray();
            double[] y = b.toType(DataType.FLOAT64, false).toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.fma(y[i], s, x[i]);
            }
            return a.getManager().create(x, a.getShape());
        }
        if (type == DataType.FLOAT32 && onHost(a, b) && exactInFloat32(b)) {
            float[] x = a.toFloatArray();
            float[] y = b.toType(DataType.FLOAT32, false).toFloatArray();
            float scale = (float) s;
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.fma(y[i], scale, x[i]);
            }
            return a.getManager().create(x, a.getShape());
        }
        return addScaledOnDevice(a, b, s);
    }

    /** {@link #addScaled(NDArray, NDArray, double)} in array operations, for any device. */
    static NDArray addScaledOnDevice(NDArray a, NDArray b, double s) {
        DataType type = a.getDataType();
        if (type == DataType.FLOAT64) {
            return a.add(b.mul(s)); // double scalar, double tensor: no promotion
        }
        // The scalar as PyTorch's float32 and float16 kernels use it: rounded to float.
        return roundedSum(a.toType(DataType.FLOAT64, false), b.toType(DataType.FLOAT64, true).muli((double) (float) s), type);
    }

    /** Whether every array is in host memory with the first one's shape, and small enough for a Java array. */
    private static boolean onHost(NDArray a, NDArray... others) {
        if (!a.getDevice().equals(Device.cpu()) || a.size() > Integer.MAX_VALUE - 8) {
            return false;
        }
        for (NDArray other : others) {
            if (!other.getDevice().equals(Device.cpu()) || !other.getShape().equals(a.getShape())) {
                return false;
            }
        }
        return true;
    }

    /** Whether the values convert to float32 without rounding. */
    private static boolean exactInFloat32(NDArray x) {
        return x.getDataType() == DataType.FLOAT32 || x.getDataType() == DataType.FLOAT16;
    }

    /** {@code a += s * b}, rounded once. */
    public static void addScaledInPlace(NDArray a, NDArray b, double s) {
        addScaled(a, b, s).copyTo(a);
    }

    /** {@code v += (s * t1) * t2}, the product {@code s * t1} rounded, the multiply-add rounded once. */
    public static void addProductInPlace(NDArray v, NDArray t1, NDArray t2, double s) {
        addScaled(v, t1.mul(scalar(t1, s)), t2).copyTo(v);
    }

    /** {@code a.lerp_(b, w)} as PyTorch's CPU kernel rounds it; see {@link Loops#lerp}. */
    public static void lerpInPlace(NDArray a, NDArray b, double w) {
        if (a.getDataType() == DataType.FLOAT64) {
            boolean small = Math.abs(w) < 0.5;
            (small ? a : b).add(b.sub(a).muli(small ? w : w - 1)).copyTo(a);
            return;
        }
        boolean small = Math.abs((float) w) < 0.5f;
        addScaled(small ? a : b, b.sub(a), Loops.lerpCoefficient(w)).copyTo(a);
    }

    /**
     * Correctly rounded square root. libtorch's CPU build takes float32 sqrt from MKL, which is
     * within one ulp but not always the nearest float (measured: 17% of random inputs differ);
     * the square root of a float32 computed in float64 and rounded once is exact.
     */
    public static NDArray sqrt(NDArray x) {
        DataType type = x.getDataType();
        if (type == DataType.FLOAT64) {
            return x.sqrt();
        }
        return x.toType(DataType.FLOAT64, false).sqrt().toType(type, false);
    }

    /** {@code a + b * c} for arrays, rounded once. */
    private static NDArray addScaled(NDArray a, NDArray b, NDArray c) {
        if (a.getDataType() == DataType.FLOAT32 && onHost(a, b, c) && exactInFloat32(b) && exactInFloat32(c)) {
            float[] x = a.toFloatArray();
            float[] y = b.toType(DataType.FLOAT32, false).toFloatArray();
            float[] z = c.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.fma(y[i], z[i], x[i]);
            }
            return a.getManager().create(x, a.getShape());
        }
        return addScaledOnDevice(a, b, c);
    }

    /** {@link #addScaled(NDArray, NDArray, NDArray)} in array operations, for any device. */
    static NDArray addScaledOnDevice(NDArray a, NDArray b, NDArray c) {
        DataType type = a.getDataType();
        if (type == DataType.FLOAT64) {
            return a.add(b.mul(c));
        }
        return roundedSum(a.toType(DataType.FLOAT64, false),
                b.toType(DataType.FLOAT64, true).muli(c.toType(DataType.FLOAT64, false)), type);
    }

    /**
     * {@code a + p} rounded once to {@code type}, for float64 {@code a} and an exact float64
     * product {@code p}. The float64 sum is itself rounded, and where it lands exactly halfway
     * between two values of {@code type} (possible when {@code a} and {@code p} are far apart in
     * magnitude) rounding it again would break the tie by evenness instead of by what the float64
     * sum dropped. There the neighbour on the side of the dropped part (Knuth's two-sum) is taken;
     * for float32 that includes the tie between the largest float and infinity.
     */
    private static NDArray roundedSum(NDArray a, NDArray p, DataType type) {
        NDArray sum = a.add(p);
        NDArray nearest = sum.toType(type, false).toType(DataType.FLOAT64, false);
        NDArray mirrored = sum.mul(2).subi(nearest); // the other neighbour, when the sum is a tie
        NDArray tie = mirrored.toType(type, false).toType(DataType.FLOAT64, false).eq(mirrored)
                .logicalAnd(mirrored.neq(nearest)).logicalAnd(nearest.isInfinite().logicalNot());
        if (type == DataType.FLOAT32) {
            NDArray overflowTie = sum.abs().eq(FLOAT32_OVERFLOW_TIE);
            mirrored = NDArrays.where(overflowTie, sum.sign().muli(Float.MAX_VALUE), mirrored);
            tie = tie.logicalOr(overflowTie);
        }
        NDArray pPart = sum.sub(a);
        NDArray dropped = a.sub(sum.sub(pPart)).addi(p.sub(pPart));
        NDArray towardDropped = NDArrays.where(dropped.gt(0), nearest.maximum(mirrored), nearest.minimum(mirrored));
        return NDArrays.where(tie.logicalAnd(dropped.neq(0)), towardDropped, nearest).toType(type, false);
    }

    /** Halfway between float32's largest value and the next power of two, 2^128 - 2^103: rounds to infinity. */
    private static final double FLOAT32_OVERFLOW_TIE = Math.scalb(1.0, 128) - Math.scalb(1.0, 103);

    /**
     * A scalar operand in the tensor's precision. DJL turns a Java number into a 0-dim tensor of
     * the number's type, and two 0-dim tensors promote: a float32 scalar parameter times a
     * double would be computed in double, unlike PyTorch, where the Python scalar adopts the
     * tensor's type.
     */
    public static Number scalar(NDArray like, double value) {
        return like.getDataType() == DataType.FLOAT64 ? (Number) value : (Number) (float) value;
    }

    /**
     * {@code value} as DJL makes a 0-dim tensor of a Java number (in the number's type, in
     * {@code like}'s manager), but in memory libtorch owns: the form for an operand that enters an
     * autograd graph. DJL builds such a tensor over a direct buffer that the NDArray gives up on
     * close, and its {@code mul(Number)} and the like close it at once; a graph that saved it for
     * backward then reads freed memory once the garbage collector has run, and the gradients come
     * out wrong without a word (zeros, seen on DJL 0.35.1). Pass {@link #scalar} for the tensor's
     * precision.
     */
    public static NDArray constant(NDArray like, Number value) {
        try (NDArray inJavaMemory = like.getManager().create(value)) {
            return inJavaMemory.duplicate();
        }
    }
}
