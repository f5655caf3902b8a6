package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.anneal.grad.NoGradient;

import java.nio.FloatBuffer;

/**
 * Gradients as {@link dev.anneal.grad.NoGradient} needs them: "none" told from zero. libtorch
 * knows a gradient never defined (DJL's {@code getGradient()} hides it behind fresh zeros, so it
 * is asked directly). A defined gradient cannot be made undefined again in place, so clearing to
 * none fills it with {@code -0.0}: libtorch's backward adds into a defined gradient in place, and
 * {@code x + -0.0 == x} for every {@code x}, {@code +0.0} included, so a gradient that is still
 * {@code -0.0} everywhere got nothing from any backward pass since. (One whose every contribution
 * was exactly {@code -0.0} reads as none too.)
 */
final class Gradients {
    /** What a gradient cleared to none holds. */
    static final float NONE = -0f;

    private Gradients() {
    }

    /** Whether libtorch holds a gradient for {@code weight}; true on any other engine, which cannot say. */
    static boolean defined(NDArray weight) {
        try (NDArray grad = gradient(weight)) {
            return grad != null;
        }
    }

    /** The gradient libtorch holds for {@code weight}, or null when it has none; the caller closes it. */
    private static NDArray gradient(NDArray weight) {
        return weight instanceof PtNDArray pt ? JniUtils.getGradient(pt) : weight.getGradient();
    }

    /**
     * Clears a trainable weight's gradient: to none under {@link NoGradient#SKIP}; to zero under
     * {@link NoGradient#ZERO}, unless it is none, which stays none (torch 1.13 leaves a
     * {@code None} gradient {@code None}).
     */
    static void clear(NDArray weight, NoGradient policy) {
        if (policy == NoGradient.SKIP) {
            fill(weight, NONE);
        } else if (!none(weight)) {
            fill(weight, 0f);
        }
    }

    /** Fills a trainable weight's gradient with {@code value}: an index fill, so a NaN or infinity goes too. */
    static void fill(NDArray weight, float value) {
        // The fill value becomes a temporary array in the weight's manager: scope it.
        try (NDScope ignored = new NDScope()) {
            weight.getGradient().set(new NDIndex("..."), value);
        }
    }

    /** True when {@code weight} got no gradient: never defined, or still {@link #NONE} everywhere. */
    static boolean none(NDArray weight) {
        try (NDScope ignored = new NDScope(); NDArray grad = gradient(weight)) {
            if (grad == null) {
                return true;
            }
            if (grad.size() == 0
                    || !isNone(grad.reshape(-1).get(0).toType(DataType.FLOAT32, false).getFloat())) {
                // The first element decides for any gradient a backward pass reached: no full-size work then.
                return false;
            }
            // 1 / -0.0 is -inf and 1 / +0.0 is +inf: the largest reciprocal is -inf only when every value is -0.0.
            return grad.getManager().create(1f).div(grad).max().toType(DataType.FLOAT32, false).getFloat()
                    == Float.NEGATIVE_INFINITY;
        }
    }

    /** The same test over a gradient's memory: the first element decides for any gradient that has one. */
    static boolean none(FloatBuffer grad) {
        int n = grad.limit();
        for (int i = 0; i < n; i++) {
            if (!isNone(grad.get(i))) {
                return false;
            }
        }
        return n > 0;
    }

    private static boolean isNone(float value) {
        return Float.floatToRawIntBits(value) == Float.floatToRawIntBits(NONE);
    }
}
