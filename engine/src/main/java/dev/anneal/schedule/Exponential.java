package dev.anneal.schedule;

/**
 * Exponential decay: {@code value = initial * rate^p}, with the exponent {@code p} counted as
 * each source counts it (steps over a period, floored for a staircase, milestones passed).
 * Every exponential schedule here is this rule: PyTorch's {@code ExponentialLR}, {@code StepLR}
 * and {@code MultiStepLR} (as factors, {@code initial = 1}), MindSpore's exponential and
 * natural-exponential decays ({@code rate = e}, {@code p = -decayRate * epochs}), Optax's and
 * Keras's {@code exponential_decay}.
 */
public final class Exponential {
    private Exponential() {
    }

    public static double value(double initial, double rate, double p) {
        return initial * Math.pow(rate, p);
    }
}
