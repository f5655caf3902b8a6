/**
 * Optimizers: each a {@link dev.anneal.optim.Chain} of {@link dev.anneal.optim.Stage}s (gradient
 * stages from {@code dev.anneal.grad}, one update rule, parameter stages), with hyperparameters
 * declared once ({@link dev.anneal.optim.Hyperparameter}) and typed builders generated from those
 * declarations ({@link dev.anneal.optim.Optimizers}, {@code tools/codegen}); validated specs
 * ({@link dev.anneal.optim.OptimizerSpec}), compiled into a runtime
 * ({@link dev.anneal.optim.Optimizer}) that owns the state and the step counter.
 *
 * <p>One file per update rule holds the rule, its hyperparameters and the chains built on it
 * ({@code Adam.ADAM}, {@code Adam.ADAMW}). A stage has two forms that give the same bits: NDArray
 * operations (any DJL engine, any device; rounding as PyTorch's CPU kernels, see
 * {@code dev.anneal.internal.FusedOps}) and an {@link dev.anneal.optim.ElementKernel} for the
 * fused path ({@link dev.anneal.optim.Execution#FUSED}), where a chain's kernels run one after
 * another over each block of memory.
 *
 * <h2>How the fused path gets at the memory (DJL 0.35.1, PyTorch engine, CPU)</h2>
 *
 * <ul>
 *   <li>{@code PtNDArray.toByteBuffer(true)} returns a direct buffer over the tensor's own
 *       memory; writes through it are the tensor's. A view ({@code get(NDIndex("a:b"))}) of a
 *       contiguous tensor shares its storage, and so does the buffer of that view.</li>
 *   <li>The optimizer's state is therefore one contiguous array per group and state name, with a
 *       view per parameter: one allocation, one buffer per group.</li>
 *   <li>Parameters and their gradients cannot be made views of one group buffer without changing
 *       the model: DJL's {@code Parameter} keeps its own array ({@code setArray} refuses once it is
 *       set), and making every layer's weight a slice of one leaf means re-slicing inside each
 *       gradient collector. Instead the fused path caches a direct buffer per weight and per
 *       gradient. That is sound because updates are in place (a weight keeps its storage) and
 *       DJL's backward accumulates into an existing gradient in place (no {@code create_graph}),
 *       also across freezing and unfreezing. A gradient never defined reads as a fresh array of
 *       zeros, so the first step defines every gradient with one zero backward; a weight whose
 *       array is replaced (a model reloaded) is noticed by identity and set up again.</li>
 *   <li>With the buffers cached, a step makes no native call per tensor: 10,000 tensors of 100
 *       floats take about 3 ms where DJL's built-in optimizers and {@code torch.optim} take
 *       40 to 230 ms (bench/, {@code ./anneal bench}).</li>
 *   <li>The kernels run over blocks copied into per-thread arrays, because the JIT vectorises
 *       loops over arrays (fused multiply-add, square root and division included) but not over
 *       buffers; with that an Adam step over 10 million floats runs at about 85% of the copy
 *       bandwidth on two cores. GPU tensors, other types and engines use the generic path.</li>
 * </ul>
 */
package dev.anneal.optim;
