package dev.anneal.optim;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.training.GradientCollector;
import dev.anneal.grad.NoGradient;
import dev.anneal.internal.GradientTape;
import dev.anneal.internal.FusedOps;
import dev.anneal.param.Param;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The fused path for one bucket: each parameter's weight, gradient and state are read and
 * written in place through direct buffers over the tensors' own CPU memory, so a step is one
 * Java pass over the group, split across cores, with no native call per tensor. The pass copies
 * blocks of {@value #BLOCK} elements into per-thread arrays and back: the JIT vectorises a
 * kernel's loop over arrays (fused multiply-add, square root and division included), which it
 * does not over buffers, and that is what makes a step memory-bound rather than compute-bound.
 *
 * <p>What makes caching the buffers sound, checked on DJL 0.35.1 / libtorch 2.7.1: updates are
 * in place, so a weight keeps its storage; DJL's backward accumulates into an existing gradient
 * in place (no create_graph), and freezing or unfreezing keeps it. A gradient that was never
 * defined is only a fresh array of zeros when read, so the first step defines every gradient
 * once with a zero backward, and marks those it defined as none ({@link Gradients#NONE}). A
 * parameter whose array is replaced (a model reloaded) is noticed by identity and set up again.
 */
final class FusedBucket implements AutoCloseable {
    /** Elements per work item: large enough to amortise dispatch, small enough to balance cores. */
    private static final int CHUNK = 1 << 15;
    /** Parameters {@link #live()} looks at per task. */
    private static final int SLOTS = 1024;
    /** Below this many elements a step runs on the calling thread. */
    private static final long PARALLEL_MIN = 1 << 16;
    /**
     * Elements copied into the per-thread arrays at a time: tens of kilobytes, within L2. Each copy
     * costs a call into the JVM, which blocks of a few kilobytes do not amortise.
     */
    static final int BLOCK = 8192;
    /** The longest row a bucket of whole rows takes; one with a longer row runs on the generic path. */
    static final int MAX_ROW = 1 << 18;
    /**
     * Each thread's scratch arrays, at its id's place: looking up a ThreadLocal for each of
     * 10,000 work items showed in profiles. A thread whose place another took allocates anew.
     */
    private static final Scratch[] SCRATCH = new Scratch[64];
    private static final float[] ZEROS = new float[CHUNK];
    private static final float[] NONES = filled(Gradients.NONE);
    private static final float[][] NO_STATE = new float[0][];

    private final List<Param> params;
    private final List<NDArray[]> states;
    private final Buffers[] buffers;
    /** Elements per kernel call, for each parameter: {@link #BLOCK}, or one row. */
    private final int[] blocks;
    private final int[][] work;
    /**
     * The check alone takes work items together: group {@code k} is items {@code groups[k]} to
     * {@code groups[k + 1] - 1}, about {@value #CHUNK} elements, so that thousands of small
     * tensors do not each pay for a task; {@code widths[k]} is its longest block.
     */
    private final int[] groups;
    private final int[] widths;
    private final boolean parallel;
    private final NoGradient noGradient;

    private FusedBucket(List<Param> params, List<NDArray[]> states, int[] blocks, NoGradient noGradient) {
        this.params = params;
        this.noGradient = noGradient;
        this.states = states;
        this.buffers = new Buffers[params.size()];
        this.blocks = blocks;
        List<int[]> items = new ArrayList<>();
        long total = 0;
        for (int slot = 0; slot < params.size(); slot++) {
            int size = Math.toIntExact(params.get(slot).shape().size());
            int chunk = Math.max(1, CHUNK / blocks[slot]) * blocks[slot];
            total += size;
            for (int from = 0; from < size; from += chunk) {
                items.add(new int[] {slot, from, Math.min(size, from + chunk)});
            }
        }
        this.work = items.toArray(new int[0][]);
        this.parallel = total >= PARALLEL_MIN;
        List<Integer> starts = new ArrayList<>();
        List<Integer> longest = new ArrayList<>();
        long open = CHUNK;
        for (int i = 0; i < work.length; i++) {
            int length = work[i][2] - work[i][1];
            if (open >= CHUNK) {
                starts.add(i);
                longest.add(0);
                open = 0;
            }
            open += length;
            longest.set(longest.size() - 1, Math.max(longest.get(longest.size() - 1), Math.min(blocks[work[i][0]], length)));
        }
        starts.add(work.length);
        this.groups = starts.stream().mapToInt(Integer::intValue).toArray();
        this.widths = longest.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * A fused bucket when every parameter is float32 on the CPU of the PyTorch engine; else null.
     * With {@code wholeRows} each kernel call holds one row of a tensor (every dimension but the
     * first), and a row longer than {@value #MAX_ROW} elements leaves the bucket to the generic path.
     */
    static FusedBucket of(List<Param> params, List<NDArray[]> states, boolean wholeRows, NoGradient noGradient) {
        int[] blocks = new int[params.size()];
        for (int slot = 0; slot < blocks.length; slot++) {
            NDArray w = params.get(slot).array();
            if (!fusable(w)) {
                return null;
            }
            Shape shape = w.getShape();
            long row = shape.dimension() == 0 || shape.get(0) == 0 ? 1 : shape.size() / shape.get(0);
            if (wholeRows && row > MAX_ROW) {
                return null;
            }
            blocks[slot] = wholeRows ? (int) Math.max(row, 1) : BLOCK;
        }
        return new FusedBucket(params, states, blocks, noGradient);
    }

    /**
     * Whether the fused path can work in {@code array}'s memory: float32 on the CPU of the PyTorch
     * engine, and contiguous, for only then is {@link #floats} a view of it; a transposed view's
     * buffer is a copy, and writes to it would be lost without a word.
     */
    static boolean fusable(NDArray array) {
        return array.getDataType() == DataType.FLOAT32 && array.getDevice().equals(Device.cpu())
                && array instanceof PtNDArray pt && contiguous(pt);
    }

    /**
     * libtorch's answer whether a tensor is contiguous. DJL 0.35.1 asks it inside
     * {@code toByteBuffer} but does not expose it, so its binding is called directly; when that is
     * out of reach (another DJL), no array counts as contiguous and every step is generic.
     */
    private static final MethodHandle IS_CONTIGUOUS = isContiguous();

    private static MethodHandle isContiguous() {
        try {
            Class<?> library = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field instance = library.getDeclaredField("LIB");
            instance.setAccessible(true);
            Method question = library.getDeclaredMethod("torchIsContiguous", long.class);
            question.setAccessible(true);
            return MethodHandles.lookup().unreflect(question).bindTo(instance.get(null));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static boolean contiguous(PtNDArray array) {
        if (IS_CONTIGUOUS == null) {
            return false;
        }
        try {
            return (boolean) IS_CONTIGUOUS.invoke((long) array.getHandle());
        } catch (Throwable e) {
            return false;
        }
    }

    /**
     * One step of the {@code live} parameters ({@link #live()}): each one's update count goes up by
     * one, and its kernel is the one {@code kernels} gives for it at that count.
     */
    void step(long[] updates, boolean[] live, SlotKernels kernels) {
        ElementKernel[] bySlot = new ElementKernel[params.size()];
        for (int slot = 0; slot < bySlot.length; slot++) {
            if (live[slot]) {
                bySlot[slot] = kernels.kernel(slot, ++updates[slot]);
            }
        }
        run(item -> {
            int slot = item[0];
            if (live[slot]) {
                apply(bySlot[slot], buffers[slot], blocks[slot], item[1], item[2]);
            }
        });
    }

    /** The kernel a parameter runs with at an update count: a bucket's parameters share one unless a stage sets one per tensor. */
    @FunctionalInterface
    interface SlotKernels {
        ElementKernel kernel(int slot, long count);
    }

    /**
     * The {@code reductions} of one stage over the {@code live} parameters, changing nothing: the
     * gradients as {@code before} (gradient stages; null for none, which saves looking them up for
     * every parameter) leaves them, the weights, or what {@code measures} (one per
     * {@link Reduction.Measure#STAGE} reduction, in order) compute from those and the state. Each
     * work item folds its blocks in order, and the items' partials are combined in order, per
     * parameter and in all, so the totals do not depend on the threads. With {@code check} the
     * same read also tells whether a gradient as it comes in holds NaN or infinity; no reductions
     * only checks.
     */
    Folded reduce(long[] updates, boolean[] live, SlotKernels before, List<SlotKernels> measures,
                  List<Reduction> reductions, boolean check) {
        if (reductions.isEmpty()) {
            return new Folded(new double[0], new double[0][], check && nonFinite(live));
        }
        // Per parameter and per work item, nothing but array reads: a bucket may hold 10,000 tensors.
        ElementKernel[] befores = new ElementKernel[params.size()];
        ElementKernel[][] measured = new ElementKernel[params.size()][];
        for (int slot = 0; slot < params.size(); slot++) {
            if (live[slot]) {
                long count = updates[slot] + 1;
                befores[slot] = before == null ? null : before.kernel(slot, count);
                measured[slot] = new ElementKernel[measures.size()];
                for (int m = 0; m < measures.size(); m++) {
                    measured[slot][m] = measures.get(m).kernel(slot, count);
                }
            }
        }
        Reduction[] folds = reductions.toArray(new Reduction[0]);
        boolean weights = before != null || !measures.isEmpty()
                || reductions.stream().anyMatch(r -> r.measure() == Reduction.Measure.WEIGHT);
        // A fold of the gradients as they come in, in double, is itself the check: it cannot
        // overflow, and NaN and infinity survive it. The marks are left out then.
        boolean foldChecks = check && before == null
                && reductions.stream().anyMatch(r -> r.measure() == Reduction.Measure.GRADIENT);
        double[][] partials = new double[folds.length][work.length];
        boolean[] nonFinite = new boolean[work.length];
        runIndexed(i -> {
            int[] item = work[i];
            int slot = item[0];
            if (live[slot]) {
                nonFinite[i] = fold(befores[slot], measured[slot], weights, buffers[slot], blocks[slot], item[1], item[2],
                        folds, check && !foldChecks, partials, i);
                for (int r = 0; r < folds.length && foldChecks; r++) {
                    nonFinite[i] |= folds[r].measure() == Reduction.Measure.GRADIENT && !Double.isFinite(partials[r][i]);
                }
            }
        });
        double[] totals = new double[folds.length];
        double[][] bySlot = new double[folds.length][params.size()];
        boolean found = false;
        for (int i = 0; i < work.length; i++) {
            for (int r = 0; r < folds.length; r++) {
                Reduction.Fold fold = folds[r].fold();
                totals[r] = fold.combine(totals[r], partials[r][i]);
                bySlot[r][work[i][0]] = fold.combine(bySlot[r][work[i][0]], partials[r][i]);
            }
            found |= nonFinite[i];
        }
        return new Folded(totals, bySlot, found);
    }

    /** Whether a live parameter's gradient holds NaN or infinity: the check alone, group by group. */
    private boolean nonFinite(boolean[] live) {
        boolean[] found = new boolean[groups.length - 1];
        forEach(found.length, k -> {
            float[][] scratch = scratch(2, widths[k]); // fold's arrays without state: lanes are the fourth
            float[] grad = scratch[1];
            float[] lanes = scratch[3];
            Arrays.fill(lanes, 0, widths[k], 0f);
            for (int i = groups[k]; i < groups[k + 1]; i++) {
                int[] item = work[i];
                if (live[item[0]]) {
                    Buffers b = buffers[item[0]];
                    int block = blocks[item[0]];
                    for (int at = item[1]; at < item[2]; at += block) {
                        int n = Math.min(block, item[2] - at);
                        b.grad.get(at, grad, 0, n);
                        FiniteCheck.mark(lanes, grad, n);
                    }
                }
            }
            found[k] = FiniteCheck.found(lanes, widths[k]);
        });
        for (boolean group : found) {
            if (group) {
                return true;
            }
        }
        return false;
    }

    /**
     * A bucket's share of a stage's reductions, one total per reduction, each parameter's own
     * totals (by reduction, then slot), and whether the gradients it read came in with NaN or
     * infinity (when checked).
     */
    record Folded(double[] totals, double[][] bySlot, boolean nonFinite) {
    }

    /**
     * Folds one work item into {@code partials[r][index]} for each reduction, reading the weights
     * too when {@code weights}; returns whether {@code check} found NaN or infinity.
     */
    private static boolean fold(ElementKernel before, ElementKernel[] measures, boolean weights, Buffers b, int block,
                                int from, int to, Reduction[] reductions, boolean check, double[][] partials, int index) {
        int states = measures.length == 0 ? 0 : b.state.length;
        float[][] scratch = scratch(states + 2, block);
        float[] weight = scratch[0];
        float[] grad = scratch[1];
        float[] values = scratch[2 + states];
        float[] lanes = scratch[3 + states];
        float[][] state = states == 0 ? NO_STATE : Arrays.copyOfRange(scratch, 2, 2 + states);
        int width = Math.min(block, to - from);
        if (check) {
            Arrays.fill(lanes, 0, width, 0f);
        }
        double[] acc = new double[reductions.length];
        for (int i = from; i < to; i += block) {
            int n = Math.min(block, to - i);
            b.grad.get(i, grad, 0, n);
            if (check) {
                FiniteCheck.mark(lanes, grad, n);
            }
            if (weights) {
                b.weight.get(i, weight, 0, n);
            }
            if (before != null) {
                before.apply(weight, grad, NO_STATE, n);
            }
            for (int s = 0; s < states; s++) {
                b.state[s].get(i, state[s], 0, n);
            }
            int which = 0;
            for (int r = 0; r < reductions.length; r++) {
                Reduction.Fold fold = reductions[r].fold();
                switch (reductions[r].measure()) {
                    case GRADIENT -> acc[r] = fold.block(acc[r], grad, n);
                    case WEIGHT -> acc[r] = fold.block(acc[r], weight, n);
                    case STAGE -> {
                        System.arraycopy(grad, 0, values, 0, n);
                        measures[which++].apply(weight, values, state, n);
                        acc[r] = fold.block(acc[r], values, n);
                    }
                }
            }
        }
        for (int r = 0; r < reductions.length; r++) {
            partials[r][index] = acc[r];
        }
        return check && FiniteCheck.found(lanes, width);
    }

    /** This thread's arrays: weight, gradient and {@code states} state blocks of at least {@code block} elements. */
    private static float[][] scratch(int states, int block) {
        Thread thread = Thread.currentThread();
        int at = (int) (thread.getId() & (SCRATCH.length - 1));
        Scratch mine = SCRATCH[at];
        float[][] scratch = mine != null && mine.owner == thread ? mine.arrays : null;
        if (scratch == null || scratch.length < 2 + states || scratch[0].length < block) {
            // Grown in both directions, never shrunk: buckets of other shapes take turns on a thread.
            int arrays = Math.max(2 + states, scratch == null ? 0 : scratch.length);
            int length = Math.max(Math.max(block, BLOCK), scratch == null ? 0 : scratch[0].length);
            scratch = new float[arrays][length];
            SCRATCH[at] = new Scratch(thread, scratch);
        }
        return scratch;
    }

    /** Runs the kernel over elements {@code [from, to)} of one parameter, {@code block} at a time. */
    private static void apply(ElementKernel kernel, Buffers b, int block, int from, int to) {
        int states = b.state.length;
        float[][] scratch = scratch(states, block);
        float[] weight = scratch[0];
        float[] grad = scratch[1];
        float[][] state = new float[states][];
        for (int s = 0; s < states; s++) {
            state[s] = scratch[2 + s];
        }
        for (int i = from; i < to; i += block) {
            int n = Math.min(block, to - i);
            b.weight.get(i, weight, 0, n);
            b.grad.get(i, grad, 0, n);
            for (int s = 0; s < states; s++) {
                b.state[s].get(i, state[s], 0, n);
            }
            kernel.apply(weight, grad, state, n);
            b.weight.put(i, weight, 0, n);
            for (int s = 0; s < states; s++) {
                b.state[s].put(i, state[s], 0, n);
            }
        }
    }

    /**
     * Clears gradients as {@link NoGradient} says, through the cached buffers; ones not set up
     * yet are cleared the generic way.
     */
    void zeroGrad() {
        float[] fill = noGradient == NoGradient.SKIP ? NONES : ZEROS;
        boolean[] cached = new boolean[params.size()];
        for (int slot = 0; slot < params.size(); slot++) {
            Param p = params.get(slot);
            if (p.isTrainable()) {
                cached[slot] = buffers[slot] != null && buffers[slot].array == p.array();
                if (!cached[slot]) {
                    Gradients.clear(p.array(), noGradient);
                } else if (noGradient == NoGradient.ZERO && Gradients.none(buffers[slot].grad)) {
                    cached[slot] = false;
                }
            }
        }
        run(item -> {
            if (cached[item[0]]) {
                fill(buffers[item[0]].grad, fill, item[1], item[2]);
            }
        });
    }

    /** Writes {@code fill} over {@code [from, to)} of {@code buffer}, in pieces: an item of whole rows may be longer. */
    private static void fill(FloatBuffer buffer, float[] fill, int from, int to) {
        for (int i = from; i < to; i += fill.length) {
            buffer.put(i, fill, 0, Math.min(fill.length, to - i));
        }
    }

    private static float[] filled(float value) {
        float[] a = new float[CHUNK];
        Arrays.fill(a, value);
        return a;
    }

    private void run(Consumer<int[]> task) {
        runIndexed(i -> task.accept(work[i]));
    }

    /** Runs {@code task} for every work item's index, on all cores when the bucket is large. */
    private void runIndexed(IntConsumer task) {
        forEach(work.length, task);
    }

    /** Runs {@code task} for {@code 0 .. count - 1}, on all cores when the bucket is large. */
    private void forEach(int count, IntConsumer task) {
        if (parallel) {
            IntStream.range(0, count).parallel().forEach(task);
        } else {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
        }
    }

    /**
     * Which parameters a step updates now: trainable, with a gradient. Refuses a parameter whose
     * array was closed, and sets up the buffers of trainable parameters that have none yet or
     * whose array was replaced.
     */
    boolean[] live() {
        int count = params.size();
        boolean[] live = new boolean[count];
        boolean[] stale = new boolean[count];
        boolean[] released = new boolean[count];
        // A few dependent loads and one gradient value per parameter, on all cores: a bucket of
        // 10,000 small tensors spends as long on them as on its update otherwise.
        forEach((count + SLOTS - 1) / SLOTS, k -> {
            for (int slot = k * SLOTS; slot < Math.min(count, (k + 1) * SLOTS); slot++) {
                Param p = params.get(slot);
                NDArray array = p.array();
                released[slot] = array.isReleased(); // before the native question below, on a freed array
                if (!released[slot] && p.isTrainable()) {
                    stale[slot] = buffers[slot] == null || buffers[slot].array != array;
                    live[slot] = stale[slot] || !Gradients.none(buffers[slot].grad);
                }
            }
        });
        List<Integer> setUp = new ArrayList<>();
        for (int slot = 0; slot < count; slot++) {
            if (released[slot]) {
                Optimizer.refuseReleased(params.get(slot));
            }
            if (stale[slot]) {
                setUp.add(slot);
            }
        }
        if (!setUp.isEmpty()) {
            setUp(setUp);
            for (int slot : setUp) {
                live[slot] = !Gradients.none(buffers[slot].grad);
            }
        }
        return live;
    }

    /**
     * Gives the listed parameters a real gradient and caches their buffers; a gradient defined
     * only now got nothing from the backward passes, so it is none.
     */
    private void setUp(List<Integer> stale) {
        List<Integer> undefined = stale.stream().filter(slot -> !Gradients.defined(params.get(slot).array())).toList();
        defineGradients(stale);
        for (int slot : stale) {
            if (buffers[slot] != null) {
                buffers[slot].close();
            }
            NDArray weight = params.get(slot).array();
            NDArray grad = weight.getGradient();
            NDScope.unregister(grad);
            NDArray[] state = states.get(slot);
            FloatBuffer[] stateBuffers = new FloatBuffer[state.length];
            for (int i = 0; i < state.length; i++) {
                stateBuffers[i] = floats(state[i]);
            }
            buffers[slot] = new Buffers(weight, grad, floats(weight), floats(grad), stateBuffers);
        }
        for (int slot : undefined) {
            fill(buffers[slot].grad, NONES, 0, buffers[slot].grad.limit());
        }
    }

    /** A zero backward: gives every listed parameter a real gradient, adding nothing to one it has. */
    private void defineGradients(List<Integer> slots) {
        NDArray first = params.get(slots.get(0)).array();
        try (NDScope ignored = new NDScope();
             GradientCollector collector = GradientTape.open(first.getManager().getEngine().getEngineName())) {
            NDArray sum = null;
            for (int slot : slots) {
                NDArray w = params.get(slot).array();
                NDArray term = w.mul(FusedOps.constant(w, 0f)).sum();
                sum = sum == null ? term : sum.add(term);
            }
            collector.backward(sum);
        }
    }

    /** A view of a float32 CPU array's own memory: writes to it change the array. */
    static FloatBuffer floats(NDArray array) {
        return array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Override
    public void close() {
        for (Buffers b : buffers) {
            if (b != null) {
                b.close();
            }
        }
    }

    /** A thread's scratch arrays. */
    private record Scratch(Thread owner, float[][] arrays) {
    }

    /** A parameter's array (to notice replacement), its gradient handle, and views of their memory. */
    private record Buffers(NDArray array, NDArray gradHandle, FloatBuffer weight, FloatBuffer grad, FloatBuffer[] state) {
        void close() {
            gradHandle.close();
        }
    }
}
