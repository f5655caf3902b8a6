package dev.anneal.schedule.torch;

import dev.anneal.config.Checks;
import dev.anneal.schedule.Exponential;

import java.util.Arrays;

/**
 * PyTorch's {@code MultiStepLR}: the base value times {@code gamma} once for every milestone
 * reached, {@code base * gamma^(milestones <= t)} with {@code t = step - 1}; a milestone listed
 * twice counts twice, as in PyTorch.
 */
public record MultiStepLR(double base, long[] milestones, double gamma) implements Multiplicative {
    public static final double DEFAULT_GAMMA = 0.1;

    public MultiStepLR {
        Checks c = new Checks("schedule.multiStepLR");
        c.positive("base", base);
        c.positive("gamma", gamma);
        c.require(milestones != null, "milestones", "are required");
        milestones = milestones == null ? new long[0] : milestones.clone();
        for (int i = 0; i < milestones.length; i++) {
            c.require(milestones[i] >= 0, "milestones[" + i + "]", "must be at least 0, got " + milestones[i]);
        }
        for (int i = 1; i < milestones.length; i++) {
            c.require(milestones[i] >= milestones[i - 1], "milestones",
                    "must not decrease, got " + Arrays.toString(milestones));
        }
        c.throwIfAny();
    }

    public MultiStepLR(double base, long[] milestones) {
        this(base, milestones, DEFAULT_GAMMA);
    }

    @Override
    public double factor(long t) {
        int reached = 0;
        for (long milestone : milestones) {
            if (milestone <= t) {
                reached++;
            }
        }
        return Exponential.value(1, gamma, reached);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MultiStepLR m && base == m.base && gamma == m.gamma && Arrays.equals(milestones, m.milestones);
    }

    @Override
    public int hashCode() {
        return Double.hashCode(base) * 31 + Arrays.hashCode(milestones) * 17 + Double.hashCode(gamma);
    }

    @Override
    public String toString() {
        return "MultiStepLR[base=" + base + ", milestones=" + Arrays.toString(milestones) + ", gamma=" + gamma + "]";
    }
}
