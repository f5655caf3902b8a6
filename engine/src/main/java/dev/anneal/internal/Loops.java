package dev.anneal.internal;

/**
 * Small element loops the fused kernels are built from. Each is branch-free over plain arrays,
 * which the JIT vectorises; a kernel picks the loops its options need instead of testing the
 * options inside one loop (a loop with branches is left scalar, about twice as slow).
 */
public final class Loops {
    private Loops() {
    }

    /** {@code a = -a}. */
    public static void negate(float[] a, int n) {
        for (int i = 0; i < n; i++) {
            a[i] = -a[i];
        }
    }

    /** {@code a = a * s}. */
    public static void scale(float[] a, float s, int n) {
        for (int i = 0; i < n; i++) {
            a[i] = a[i] * s;
        }
    }

    /** {@code target = fma(source, s, target)}: PyTorch's {@code target.add_(source, alpha=s)}. */
    public static void addScaled(float[] target, float[] source, float s, int n) {
        for (int i = 0; i < n; i++) {
            target[i] = Math.fma(source[i], s, target[i]);
        }
    }

    /**
     * {@code torch.sign} for finite values, -0 giving +0 as there, in a form the JIT vectorises
     * ({@code Math.signum} has branches on Java 17): any nonzero float times 2^254 is at least 1
     * in magnitude, and the clamp leaves -1, 0 or 1.
     */
    public static float sign(float c) {
        return Math.min(Math.max(c * 0x1p127f * 0x1p127f, -1f), 1f) + 0f;
    }

    /**
     * torch's CPU {@code self.lerp_(end, w)}: {@code self + w * (end - self)} for |w| < 0.5, else
     * {@code end - (end - self) * (1 - w)}, each a multiply-add rounded once, with {@code coeff} from
     * {@link #lerpCoefficient}; {@code small} is the same for every element, so the loop stays branch-free.
     */
    public static float lerp(float self, float end, float coeff, boolean small) {
        return Math.fma(coeff, end - self, small ? self : end);
    }

    /** The multiplier {@link #lerp} uses for weight {@code w} (rounded to float32 first, as torch's kernel does): w, or w - 1. */
    public static float lerpCoefficient(double w) {
        float weight = (float) w;
        return Math.abs(weight) < 0.5f ? weight : weight - 1f;
    }
}
