package dev.anneal.schedule.optax;

import dev.anneal.config.Checks;
import dev.anneal.schedule.CosineAnnealing;
import dev.anneal.schedule.Schedule;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Optax's {@code piecewise_interpolate_schedule(interpolate_type, init_value,
 * boundaries_and_scales)}: the values {@code v[0] = initValue}, {@code v[i+1] = v[i] * scales[i]}
 * are reached at counts {@code 0, boundaries[0], boundaries[1], ...}, and between two of them the
 * value goes from one to the next, linearly or along half a cosine. With {@code count = step - 1}
 * and {@code b[-1] = 0}:
 *
 * <pre>
 * pct = (count - b[i-1]) / max(b[i] - b[i-1], 1)       for b[i-1] <= count < b[i]
 * linear: v[i] + (v[i+1] - v[i]) * pct      (as Optax writes it: (v[i+1] - v[i]) * pct + v[i])
 * cosine: v[i+1] + (v[i] - v[i+1]) / 2 * (cos(pi * pct) + 1)
 * value = v[n]                                          for count >= b[n-1]
 * </pre>
 *
 * Optax's example: linear, {@code 1.0}, {@code {4: 0.1, 8: 0.01}} gives 1.0, 0.55, 0.1, 0.0505,
 * 0.001, 0.001 at counts 0, 2, 4, 6, 8, 10. Boundaries are non-negative and strictly increase;
 * scales are non-negative.
 */
public record PiecewiseInterpolate(Interpolation interpolation, double initValue, long[] boundaries, double[] scales)
        implements Schedule {
    /** Optax's {@code interpolate_type}: {@code 'linear'} or {@code 'cosine'}. */
    public enum Interpolation { LINEAR, COSINE }

    public PiecewiseInterpolate {
        Checks c = new Checks("schedule.piecewiseInterpolate");
        c.require(interpolation != null, "interpolation", "is required: LINEAR or COSINE");
        c.require(Double.isFinite(initValue), "initValue", "must be finite, got " + initValue);
        boundaries = boundaries.clone();
        scales = scales.clone();
        c.require(boundaries.length == scales.length, "scales",
                "needs one scale per boundary: " + boundaries.length + " boundaries " + Arrays.toString(boundaries)
                        + ", got " + scales.length + " scales " + Arrays.toString(scales));
        for (int i = 0; i < boundaries.length; i++) {
            long previous = i == 0 ? 0 : boundaries[i - 1];
            boolean ok = i == 0 ? boundaries[i] >= 0 : boundaries[i] > previous;
            c.require(ok, "boundaries[" + i + "]", i == 0
                    ? "must be at least 0, got " + boundaries[i]
                    : "must be greater than boundaries[" + (i - 1) + "] " + previous
                            + " (boundaries strictly increase), got " + boundaries[i]);
        }
        for (int i = 0; i < scales.length; i++) {
            c.require(scales[i] >= 0 && Double.isFinite(scales[i]), "scales[" + i + "]",
                    "must be a non-negative (>= 0) finite scale, got " + scales[i]);
        }
        c.throwIfAny();
    }

    /** As Optax takes it: a map from boundary to scale, taken in increasing boundary order. */
    public static PiecewiseInterpolate of(Interpolation interpolation, double initValue,
                                          Map<Long, Double> boundariesAndScales) {
        TreeMap<Long, Double> sorted = new TreeMap<>(boundariesAndScales);
        long[] boundaries = new long[sorted.size()];
        double[] scales = new double[sorted.size()];
        int i = 0;
        for (Map.Entry<Long, Double> e : sorted.entrySet()) {
            boundaries[i] = e.getKey();
            scales[i] = e.getValue();
            i++;
        }
        return new PiecewiseInterpolate(interpolation, initValue, boundaries, scales);
    }

    @Override
    public double at(long step) {
        long count = step - 1;
        long from = 0;
        double value = initValue;
        for (int i = 0; i < boundaries.length; i++) {
            double next = value * scales[i];
            if (from <= count && count < boundaries[i]) {
                double pct = (double) (count - from) / Math.max(boundaries[i] - from, 1);
                return interpolation == Interpolation.LINEAR
                        ? (next - value) * pct + value
                        : CosineAnnealing.value(value, next, pct, 1);
            }
            from = boundaries[i];
            value = next;
        }
        return value;
    }

    @Override
    public long[] boundaries() {
        return boundaries.clone();
    }

    @Override
    public double[] scales() {
        return scales.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PiecewiseInterpolate p && interpolation == p.interpolation && initValue == p.initValue
                && Arrays.equals(boundaries, p.boundaries) && Arrays.equals(scales, p.scales);
    }

    @Override
    public int hashCode() {
        return ((interpolation.hashCode() * 31 + Double.hashCode(initValue)) * 31 + Arrays.hashCode(boundaries)) * 31
                + Arrays.hashCode(scales);
    }

    @Override
    public String toString() {
        return "PiecewiseInterpolate[" + interpolation + ", initValue=" + initValue + ", boundaries="
                + Arrays.toString(boundaries) + ", scales=" + Arrays.toString(scales) + "]";
    }
}
