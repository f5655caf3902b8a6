package dev.anneal.optim;

import ai.djl.ndarray.NDArray;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The check before a step for NaN and infinity in the gradients ({@code NonFinite}, a loss
 * scale's overflow). {@code g * 0} is NaN exactly when {@code g} is NaN or infinite, and a NaN
 * survives any sum. The fused path adds {@code g * 0} into float32 lanes position by position, a
 * loop the JIT vectorises (a single running sum it leaves scalar), and sums the lanes once per
 * work item.
 */
final class FiniteCheck {
    private FiniteCheck() {
    }

    /** Adds {@code g[i] * 0} into {@code lanes[i]} for {@code i < n}. */
    static void mark(float[] lanes, float[] g, int n) {
        for (int i = 0; i < n; i++) {
            lanes[i] += g[i] * 0f;
        }
    }

    /** Whether {@code lanes[0, n)} hold a NaN; they are zero again after. */
    static boolean found(float[] lanes, int n) {
        // Eight sums side by side: one would wait on each add. Each lane is 0 or NaN, so any order tells.
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 7 < n; i += 8) {
            s0 += lanes[i];
            s1 += lanes[i + 1];
            s2 += lanes[i + 2];
            s3 += lanes[i + 3];
            s4 += lanes[i + 4];
            s5 += lanes[i + 5];
            s6 += lanes[i + 6];
            s7 += lanes[i + 7];
        }
        for (; i < n; i++) {
            s0 += lanes[i];
        }
        Arrays.fill(lanes, 0, n, 0f);
        return Float.isNaN(s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
    }

    /**
     * How many values of {@code g} are NaN or infinite: the generic path. A float32 array in host
     * memory is read in place from Java (libtorch's four operations over 10 million floats took
     * about 170 ms, each making an array); any other on its device.
     */
    static long count(NDArray g) {
        if (g.size() == 0) {
            return 0;
        }
        if (!FusedBucket.fusable(g) || g.size() > Integer.MAX_VALUE) {
            return g.isNaN().logicalOr(g.isInfinite()).countNonzero().getLong();
        }
        FloatBuffer values = FusedBucket.floats(g);
        int size = values.limit();
        float[] block = new float[Math.min(size, FusedBucket.BLOCK)];
        long bad = 0;
        for (int at = 0; at < size; at += block.length) {
            int n = Math.min(block.length, size - at);
            values.get(at, block, 0, n);
            for (int i = 0; i < n; i++) {
                bad += Float.isFinite(block[i]) ? 0 : 1;
            }
        }
        return bad;
    }
}
