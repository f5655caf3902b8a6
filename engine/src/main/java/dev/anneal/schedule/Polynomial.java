package dev.anneal.schedule;

/**
 * Polynomial decay: {@code value = (initial - end) * (1 - fraction)^power + end}, where
 * {@code fraction} goes from 0 to 1 over the decay, as each source counts it. PyTorch's
 * {@code PolynomialLR} is this rule as a factor ({@code initial = 1}, {@code end = 0}), and so are
 * MindSpore's {@code polynomial_decay_lr} and {@code PolynomialDecayLR}.
 */
public final class Polynomial {
    private Polynomial() {
    }

    public static double value(double initial, double end, double fraction, double power) {
        return (initial - end) * Math.pow(1 - fraction, power) + end;
    }
}
