package dev.anneal.schedule;

/**
 * Cosine annealing (Loshchilov and Hutter, 2017, "SGDR: Stochastic Gradient Descent with Warm
 * Restarts"): half a cosine from {@code peak} at {@code t = 0} down to {@code end} at {@code t = n},
 *
 * <pre>
 * value = end + (peak - end) * (1 + cos(pi * t / n)) / 2
 * </pre>
 *
 * Every cosine schedule here is this rule: the {@link Phase#cosine} phase and PyTorch's,
 * MindSpore's, Keras's and Optax's cosines. Their sources halve in other places
 * ({@code 0.5 * (peak - end) * (1 + cos)}, {@code (peak - end) / 2 * (cos + 1)}); halving is
 * exact in binary floating point, so those orders give the same bits. Where a source computes the
 * fraction {@code pct = t / n} first (PyTorch's {@code OneCycleLR}), callers pass {@code (pct, 1)},
 * and {@code value(1, 0, t, n)} is the factor from 1 down to 0 that Keras and Optax scale.
 */
public final class CosineAnnealing {
    private CosineAnnealing() {
    }

    public static double value(double peak, double end, double t, double n) {
        return end + (peak - end) * (1 + Math.cos(Math.PI * t / n)) / 2;
    }
}
