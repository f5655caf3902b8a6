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
}
