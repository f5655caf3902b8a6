package dev.anneal.optim;

/**
 * A {@link Stage} over float32 values: the fused path hands it blocks of a group copied into
 * small arrays, so the JIT can vectorise its loops, and copies weight and state back after. A
 * kernel holds the step's scalars, resolved and rounded to float32 once, and must round exactly
 * as the stage's NDArray path does, so both paths give the same bits.
 */
@FunctionalInterface
public interface ElementKernel {
    /**
     * Updates elements {@code [0, n)}: {@code weight}, {@code grad} (a scratch copy) and
     * {@code state} in place, {@code state} in the order of the stage's state names.
     */
    void apply(float[] weight, float[] grad, float[][] state, int n);
}
