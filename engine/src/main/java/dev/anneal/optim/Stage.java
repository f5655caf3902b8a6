package dev.anneal.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.anneal.config.Checks;
import dev.anneal.param.Param;

import java.util.List;

/**
 * One step of an optimizer's {@link Chain}, as Optax's gradient transformations are: a gradient
 * stage (maximize, L2 decay) turns the gradient into the one the next stage sees, an update rule
 * (Adam's, SGD's) moves the weights with it and its state, and a parameter stage (decoupled
 * decay) changes the weights directly. Each holds only its own hyperparameters, and has two forms
 * that give the same bits: NDArray operations (any DJL engine, any device; rounding as PyTorch's
 * CPU kernels, see {@code dev.anneal.internal.FusedOps}) and an {@link ElementKernel} over float32
 * blocks, so that a whole chain runs in one pass over memory on the fused path.
 */
public interface Stage {
    /** What a stage changes: the chain checks that only gradient stages run before a reduction. */
    enum Kind {
        /** Reads the weight and gradient, returns a new gradient; changes no weight and has no state. */
        GRADIENT,
        /** Moves the weights with the gradient and its state. */
        RULE,
        /** Changes the weights directly (decoupled decay, weight averages). */
        PARAMETER
    }

    Kind kind();

    /** The hyperparameters this stage reads. */
    List<Hyperparameter<?>> hyperparameters();

    /** Names of this stage's per-tensor state arrays for these values, in PyTorch's names. */
    default List<String> stateNames(Hyperparams h) {
        return List.of();
    }

    /**
     * The shape of state array {@code name} for a weight of shape {@code weight}: the weight's own
     * unless the rule keeps less (Adafactor's moments per row and per column; an empty array for
     * one a tensor does not use). Only a stage that is not {@link #elementwise} may change it.
     */
    default Shape stateShape(String name, Shape weight, Hyperparams h) {
        return weight;
    }

    /** The value the state array or scalar {@code name} starts at: zero unless the rule says otherwise (Adagrad's sum). */
    default double startsAt(String name, Hyperparams h) {
        return 0;
    }

    /**
     * Names of this stage's per-tensor scalars for these values (NAdam's {@code mu_product},
     * ASGD's {@code eta} and {@code mu}), kept in float32 as PyTorch keeps them, in 0-dim tensors.
     * A stage with scalars runs only as {@link #forUpdate} returns it.
     */
    default List<String> scalarNames(Hyperparams h) {
        return List.of();
    }

    /**
     * This stage for one tensor's {@code count}-th update: advances the tensor's {@code scalars}
     * in place (in {@link #scalarNames} order, at {@link #startsAt} before its first update) and
     * returns the stage that updates the tensor with them. Equal scalars must give equal stages,
     * so that tensors in step share one kernel. Itself for a stage without scalars.
     */
    default Stage forUpdate(float[] scalars, Hyperparams h, long step, long count) {
        return this;
    }

    /**
     * True when this stage counts some length in epochs (an average started after 10 epochs), so
     * it runs only once {@link #inSteps} knows the steps per epoch.
     */
    default boolean countsEpochs() {
        return false;
    }

    /** This stage with every length in epochs turned into steps at {@code stepsPerEpoch}; itself when it counts none. */
    default Stage inSteps(long stepsPerEpoch) {
        return this;
    }

    /**
     * True for a gradient tool that acts on the gradient the update rule sees, so it runs right
     * before the rule, after the optimizer's own gradient stages (L2 decay), rather than first.
     */
    default boolean nextToRule() {
        return false;
    }

    /**
     * The values this stage runs with on {@code p}: a stage meant for some parameters only
     * (centralization) sets its own from the parameter. The optimizer puts parameters that end
     * with equal values into one group of work.
     */
    default Hyperparams forParameter(Param p, Hyperparams h) {
        return h;
    }

    /**
     * True when this stage, with these values, works on each row of a tensor as a whole (every
     * dimension but the first, as centralization's mean): the fused path then hands the chain's
     * kernel exactly one row per call, and the optimizer puts only tensors of two or more
     * dimensions into such a group.
     */
    default boolean wholeRows(Hyperparams h) {
        return false;
    }

    /**
     * True for an update rule that, with these values, leaves every row of a tensor (slice along
     * the first dimension; each element of a vector, the whole of a scalar) whose incoming
     * gradient is all zero exactly as it was, weights and state: a row-sparse rule (SparseAdam,
     * LazyAdam), for embeddings whose untouched rows get no gradient. The decision is made on the
     * gradient as it enters the chain, so the stages before the rule skip those rows too; the
     * stages after it (a weight average) do not. The chain runs whole rows on the fused path.
     */
    default boolean touchedRowsOnly(Hyperparams h) {
        return false;
    }

    /**
     * False for a stage that works on whole tensors at once (Muon's matrix products), which has no
     * {@link #kernel}: the optimizer runs its chain on the generic path, on any device.
     */
    default boolean elementwise() {
        return true;
    }

    /**
     * For a stage that is not {@link #elementwise}: the form that fused execution runs over
     * float32 tensors in host memory, which may compute in Java over the tensors' own memory
     * (Adafactor's passes) but gives the same bits as {@link #apply}; null when there is none, and
     * the chain then runs on the generic path.
     */
    default Stage fusedForm() {
        return null;
    }

    /**
     * True for an update rule that moves all of an optimizer's parameters at once and evaluates
     * the closure as often as it needs ({@link Lbfgs}): {@link Optimizer#step(java.util.function.DoubleSupplier)}
     * runs it, and it is the chain's only stage.
     */
    default boolean searches() {
        return false;
    }

    /** Why this stage cannot update a parameter of this shape (Muon's matrices only), or null when it can. */
    default String refuses(Shape shape) {
        return null;
    }

    /** Checks that involve several values (each value's range is checked from its declaration). */
    default void check(Hyperparams h, Checks c) {
    }

    /**
     * Applies this stage to one tensor on the generic path and returns the gradient the next
     * stage sees: a new array when this stage changes it (the model's gradient is never written),
     * else {@code grad} itself. {@code weight} and {@code state} change in place; temporaries are
     * the caller's to scope.
     *
     * @param state this stage's arrays, at {@link #startsAt} before the first update, in {@link #stateNames} order
     * @param step  the optimizer's step counter (1 for the first step): schedules are read at it
     * @param count this tensor's update number (1 for its first): bias correction and buffer starts
     *              use it, as PyTorch's per-parameter {@code state["step"]}
     */
    NDArray apply(NDArray weight, NDArray grad, NDArray[] state, Hyperparams h, long step, long count);

    /**
     * The same as {@link #apply} for the fused path, over blocks whose gradient is a scratch copy
     * (a kernel may overwrite it); null when these values leave everything as it is (no decay,
     * maximize off), so that the chain skips the stage.
     */
    ElementKernel kernel(Hyperparams h, long step, long count);

    /**
     * The totals this stage needs before the pass (a global norm of the gradients, a norm per
     * group or per tensor, of the gradient, the weight or what {@link #measure} computes), in the
     * order {@link #reduced} takes them; none with these values by default. The gradients are
     * those the stages before it leave, which must be {@link Kind#GRADIENT} stages.
     */
    default List<Reduction> reductions(Hyperparams h) {
        return List.of();
    }

    /**
     * This stage for one step, once its {@link #reductions} are known: the stage that runs in its
     * place on every tensor (clipping by a global norm becomes scaling by one factor), with the
     * same state. It may throw to refuse the step; nothing has changed yet.
     *
     * @param totals one total per reduction, in the order {@link #reductions} gives them
     */
    default Stage reduced(Hyperparams h, long step, double[] totals) {
        throw new IllegalStateException(getClass().getSimpleName() + " declares no reduction");
    }

    /**
     * For the {@code which}-th {@link Reduction.Measure#STAGE} reduction (0 for the first this
     * stage declares), on the generic path: the values to fold, computed from the weight, the
     * gradient and this stage's state as they are before the step, as a new array; {@code weight},
     * {@code grad} and {@code state} must not change.
     */
    default NDArray measure(NDArray weight, NDArray grad, NDArray[] state, Hyperparams h, long step, long count,
                            int which) {
        throw new IllegalStateException(getClass().getSimpleName() + " declares no measure");
    }

    /**
     * The same as {@link #measure(NDArray, NDArray, NDArray[], Hyperparams, long, long, int)} on
     * the fused path: a kernel that leaves the values in {@code grad}, a scratch copy of the
     * gradient, and leaves the weight and state blocks as they are.
     */
    default ElementKernel measure(Hyperparams h, long step, long count, int which) {
        throw new IllegalStateException(getClass().getSimpleName() + " declares no measure");
    }

    /**
     * Names of this stage's optimizer-wide scalars (Prodigy's distance estimate): one float32
     * value for all the parameters it updates, starting at {@link #startsAt} with the values of
     * the first group, kept in the state under these names. Such a stage reduces over the
     * {@link Reduction.Scope#OPTIMIZER optimizer}, takes its scalars with {@link #withShared}
     * and gives their next values with {@link #sharedAfter}.
     */
    default List<String> sharedNames() {
        return List.of();
    }

    /**
     * The hyperparameters that must have one value in every group because the optimizer-wide
     * scalars read them (Prodigy's learning rate and betas); checked when the optimizer compiles.
     */
    default List<Hyperparameter<?>> optimizerWide() {
        return List.of();
    }

    /** This stage for one step with its optimizer-wide scalars at {@code values} (in {@link #sharedNames} order). */
    default Stage withShared(float[] values) {
        return this;
    }

    /**
     * The optimizer-wide scalars after this step, for the stage {@link #reduced} made of one
     * {@link #withShared} gave; the optimizer keeps them once the step is taken.
     */
    default float[] sharedAfter() {
        throw new IllegalStateException(getClass().getSimpleName() + " keeps no optimizer-wide scalars");
    }

    /** Reports optimizer-wide scalars read from a saved state that this stage cannot continue from. */
    default void checkShared(float[] values, Checks c) {
    }
}
