package dev.anneal.optim;

/** How an optimizer applies its updates and where its state lives; all give the same bits. */
public enum Execution {
    /**
     * One pass per group over float32 CPU memory with the rule's {@link ElementKernel}, on all
     * cores, with no native call per tensor; groups it cannot serve (GPU, other types, rules
     * without a kernel) fall back to {@link #GENERIC}.
     */
    FUSED,
    /** NDArray operations per parameter: any DJL engine, any device. */
    GENERIC,
    /**
     * The state offloaded to host memory, as MindSpore's {@code AdamOffload} keeps Adam's: the
     * moments (and a half-precision parameter's master) live in a store of this optimizer's on
     * the CPU, each update runs there with {@link #GENERIC}'s operations on copies of the weight
     * and gradient, and the new weights are written back to the parameter's device. The device
     * then holds no optimizer state, at the cost of moving each weight and gradient across.
     */
    OFFLOAD
}
