package dev.anneal.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.anneal.config.Checks;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * L-BFGS (Nocedal, 1980; Liu and Nocedal, 1989) as {@code torch.optim.LBFGS} (1.13) computes it,
 * over all of an optimizer's parameters taken as one flat vector {@code x} (parameters in turn,
 * each row-major), driven by the closure: one {@link Optimizer#step(java.util.function.DoubleSupplier)}
 * runs up to {@code maxIter} iterations of
 *
 * <pre>
 * d = -H g            (H: the inverse Hessian of the last historySize pairs (s, y), two-loop
 *                      recursion, scaled by y.s / y.y; pairs with y.s &lt;= 1e-10 are not kept)
 * t = lr              (the first iteration ever: min(1, 1 / |g|_1) * lr)
 * x = x + t d         (fixed step, then a new evaluation), or with strongWolfe, t from a line
 *                      search that satisfies the strong Wolfe conditions (c1 1e-4, c2 0.9, at
 *                      most 25 evaluations; cubic interpolation), torch's _strong_wolfe
 * </pre>
 *
 * stopping early when {@code max|g| <= toleranceGrad}, when {@code g.d > -toleranceChange},
 * when the step or the change of the loss is at most {@code toleranceChange}, or after
 * {@code maxEval} evaluations ({@code maxEval} 0: {@code maxIter * 5 / 4}, PyTorch's default).
 * Vectors are tensors of the parameters' type (float32 or float64) on their device (or the host's,
 * offloaded), with PyTorch's operations; the scalars are in that type where PyTorch holds them in
 * tensors and double where it holds them in Python floats, as each operation of its source leaves
 * them. The state (the direction, the last gradient, the history of historySize pairs, their
 * 1 / y.s, the Hessian scale, the last step and loss, the counters) is one optimizer-wide set,
 * allocated in full when compiled: historySize times twice the parameters' size, PyTorch's
 * largest. As in PyTorch, one set of values for all parameters: no groups with other values.
 * Defaults are PyTorch's.
 */
public final class Lbfgs implements Stage {
    public static final Hyperparameter<Schedule> MAX_ITER = Hyperparameter.value("maxIter",
            Hyperparameter.Range.POSITIVE, "The most iterations one step runs: a whole number.");
    public static final Hyperparameter<Schedule> MAX_EVAL = Hyperparameter.value("maxEval",
            Hyperparameter.Range.NON_NEGATIVE,
            "The most evaluations of the closure one step makes: a whole number; 0 (PyTorch's None) for "
                    + "maxIter * 5 / 4 of the step's maxIter.");
    public static final Hyperparameter<Schedule> TOLERANCE_GRAD = Hyperparameter.value("toleranceGrad",
            Hyperparameter.Range.NON_NEGATIVE, "Stops once the largest |gradient| is at most this.");
    public static final Hyperparameter<Schedule> TOLERANCE_CHANGE = Hyperparameter.value("toleranceChange",
            Hyperparameter.Range.NON_NEGATIVE, "Stops once the step or the change of the loss is at most this.");
    public static final Hyperparameter<Schedule> HISTORY_SIZE = Hyperparameter.value("historySize",
            Hyperparameter.Range.POSITIVE, "The pairs of steps and gradient changes kept: a whole number.");
    public static final Hyperparameter<Boolean> STRONG_WOLFE = Hyperparameter.flag("strongWolfe",
            "Chooses each step length by a line search that satisfies the strong Wolfe conditions "
                    + "(torch's line_search_fn=\"strong_wolfe\") instead of taking lr.");

    private static final Lbfgs RULE = new Lbfgs();

    /** {@code torch.optim.LBFGS}. */
    public static final Chain LBFGS = Chain.builder("Lbfgs",
                    "L-BFGS as `torch.optim.LBFGS` computes it, driven by the closure, with PyTorch's defaults.")
            .stages(RULE)
            .value(Hyperparameter.LR, 1).value(MAX_ITER, 20).value(MAX_EVAL, 0).value(TOLERANCE_GRAD, 1e-7)
            .value(TOLERANCE_CHANGE, 1e-9).value(HISTORY_SIZE, 100).flag(STRONG_WOLFE, false)
            .build();

    /**
     * The state kept in float64 whatever the parameters' type: the step and loss, Python floats
     * in PyTorch, and the counters.
     */
    static final List<String> FLOAT64_SCALARS = List.of("t", "prev_loss", "n_iter", "func_evals", "history_start",
            "history_length");

    /** The most iterations or evaluations a step may be given: a billion, far past any use, within an int. */
    private static final long MOST_COUNT = 1_000_000_000L;
    /** The largest counter a float64 holds exactly: 2^53. */
    private static final double MOST_COUNTER = 0x1p53;
    /** The largest history kept: 10,000 pairs are already far past any use of L-BFGS. */
    private static final int MOST_HISTORY = 10_000;
    private static final double C1 = 1e-4;
    private static final double C2 = 0.9;
    private static final int MAX_LINE_SEARCH = 25;

    private Lbfgs() {
    }

    /** The parameters as one flat vector, and the closure: what a step of L-BFGS works on. */
    interface Problem {
        /** Runs the closure: the loss at the parameters as they are now, with their gradients. */
        double evaluate();

        /** The gradients, flat, as a new array of the parameters' type (zeros for a parameter without one). */
        NDArray gradient();

        /** {@code x = x + t * d}, each element rounded once, as {@code p.add_(d, alpha=t)}. */
        void move(double t, NDArray d);

        /** A copy of the parameters, for {@link #restore}. */
        NDArray[] save();

        void restore(NDArray[] saved);
    }

    @Override
    public Kind kind() {
        return Kind.RULE;
    }

    @Override
    public List<Hyperparameter<?>> hyperparameters() {
        return List.of(Hyperparameter.LR, MAX_ITER, MAX_EVAL, TOLERANCE_GRAD, TOLERANCE_CHANGE, HISTORY_SIZE,
                STRONG_WOLFE);
    }

    @Override
    public boolean elementwise() {
        return false;
    }

    @Override
    public boolean searches() {
        return true;
    }

    @Override
    public void check(Hyperparams h, Checks c) {
        h.requireConstant(HISTORY_SIZE, c, "the size of the state");
        double history = h.start(HISTORY_SIZE);
        c.require(history == Math.rint(history) && history <= MOST_HISTORY, HISTORY_SIZE.name(),
                "must be a whole number up to " + MOST_HISTORY + ", got " + history);
        for (Hyperparameter<Schedule> count : List.of(MAX_ITER, MAX_EVAL)) {
            OptionalDouble v = c.step().isPresent() ? OptionalDouble.of(h.at(count, c.step().getAsLong()))
                    : Schedule.constantValue(h.get(count));
            v.ifPresent(x -> c.require(x == Math.rint(x) && x <= MOST_COUNT, count.name(),
                    "must be a whole number up to " + MOST_COUNT + ", got " + x));
        }
    }

    /** The state's tensors: PyTorch's names, plus where the history's ring starts and how full it is. */
    static Map<String, NDArray> newState(NDManager manager, long size, DataType type, Device device, Hyperparams h) {
        long history = (long) h.start(HISTORY_SIZE);
        Map<String, NDArray> state = new LinkedHashMap<>();
        state.put("d", manager.zeros(new Shape(size), type, device));
        state.put("prev_flat_grad", manager.zeros(new Shape(size), type, device));
        state.put("old_dirs", manager.zeros(new Shape(history, size), type, device));
        state.put("old_stps", manager.zeros(new Shape(history, size), type, device));
        state.put("ro", manager.zeros(new Shape(history), type, device));
        state.put("H_diag", manager.ones(new Shape(), type, device));
        for (String scalar : FLOAT64_SCALARS) {
            state.put(scalar, manager.zeros(new Shape(), DataType.FLOAT64, device));
        }
        state.forEach((name, array) -> array.setName(name));
        return state;
    }

    /**
     * Reports into {@code checks} counters in a saved state that no run leaves: not whole, negative
     * or past 2^53 (where float64 stops counting), or the history's start outside
     * {@code [0, historySize)} or its length outside {@code [0, historySize]}. A counter of another
     * shape or type is left to the optimizer's check of every tensor's shape and type.
     */
    static void checkState(Map<String, NDArray> saved, long historySize, Checks checks) {
        Map<String, Double> most = new LinkedHashMap<>();
        most.put("n_iter", MOST_COUNTER);
        most.put("func_evals", MOST_COUNTER);
        most.put("history_start", historySize - 1.0);
        most.put("history_length", (double) historySize);
        try (NDScope ignored = new NDScope()) {
            most.forEach((counter, largest) -> {
                NDArray array = saved.get(counter);
                if (array.getShape().isScalar() && array.getDataType() == DataType.FLOAT64) {
                    double v = array.getDouble();
                    checks.require(v == Math.rint(v) && v >= 0 && v <= largest, "tensors[\"" + counter + "\"]",
                            "must be a whole number from 0 to " + (long) (double) largest + ", got " + v);
                }
            });
        }
    }

    /**
     * One step of {@code torch.optim.LBFGS.step(closure)} at optimizer step {@code step}: updates
     * the parameters through {@code problem} and {@code state} in place; returns the loss of the
     * first evaluation.
     */
    static double step(Problem problem, Map<String, NDArray> state, Hyperparams h, long step) {
        return new Search(problem, state, h, step).run();
    }

    @Override
    public NDArray apply(NDArray weight, NDArray grad, NDArray[] state, Hyperparams h, long step, long count) {
        throw new IllegalStateException("LBFGS moves all parameters at once: Optimizer.step(closure) runs it");
    }

    @Override
    public ElementKernel kernel(Hyperparams h, long step, long count) {
        throw new IllegalStateException("LBFGS is not element-wise: Optimizer.step(closure) runs it");
    }

    /** One step's work, with the state read into fields and written back at the end. */
    private static final class Search {
        private final Problem problem;
        private final Map<String, NDArray> state;
        /** Whether the parameters, and so PyTorch's tensors here, are float32 (else float64). */
        private final boolean single;
        private final double lr;
        private final int maxIter;
        private final long maxEval;
        private final double toleranceGrad;
        private final double toleranceChange;
        private final boolean strongWolfe;
        private final int historySize;
        private final NDArray oldDirs;
        private final NDArray oldStps;
        private final double[] ro;
        private final double[] al;
        private double hDiag;
        private TorchScalar t;
        private double prevLoss;
        private long nIter;
        private long funcEvals;
        private int start;
        private int length;
        /** This step's: the gradient and direction, the loss, the iterations and evaluations so far. */
        private NDArray flatGrad;
        private NDArray d;
        private double loss;
        private int iterations;
        private long currentEvals;

        Search(Problem problem, Map<String, NDArray> state, Hyperparams h, long step) {
            this.problem = problem;
            this.state = state;
            this.single = state.get("d").getDataType() == DataType.FLOAT32;
            this.lr = h.at(Hyperparameter.LR, step);
            this.maxIter = (int) h.at(MAX_ITER, step);
            double maxEval = h.at(MAX_EVAL, step);
            this.maxEval = maxEval == 0 ? maxIter * 5L / 4 : (long) maxEval;
            this.toleranceGrad = h.at(TOLERANCE_GRAD, step);
            this.toleranceChange = h.at(TOLERANCE_CHANGE, step);
            this.strongWolfe = h.flag(STRONG_WOLFE);
            this.oldDirs = state.get("old_dirs");
            this.oldStps = state.get("old_stps");
            this.historySize = (int) oldDirs.getShape().get(0);
            this.ro = value(state.get("ro")).toDoubleArray();
            this.al = new double[historySize];
            this.hDiag = value(state.get("H_diag")).getDouble();
            this.t = TorchScalar.of(state.get("t").getDouble());
            this.prevLoss = state.get("prev_loss").getDouble();
            this.nIter = (long) state.get("n_iter").getDouble();
            this.funcEvals = (long) state.get("func_evals").getDouble();
            this.start = (int) state.get("history_start").getDouble();
            this.length = (int) state.get("history_length").getDouble();
        }

        /** {@code x} as the parameters' tensors hold it: rounded to float32 for float32 parameters. */
        private double r(double x) {
            return single ? (float) x : x;
        }

        private TorchScalar tensor(double x) {
            return new TorchScalar(r(x), true, single);
        }

        /**
         * The step. The state is written back whether it ends or a later evaluation of the closure
         * fails, so that the history, its scales and the counters agree with the parameters. Each
         * iteration's temporaries are freed as it ends: the direction and gradient it leaves are
         * all that carry over.
         */
        double run() {
            double origLoss = problem.evaluate();
            loss = origLoss;
            currentEvals = 1;
            funcEvals++;
            flatGrad = problem.gradient();
            d = state.get("d");
            try {
                if (maxAbs(flatGrad) <= r(toleranceGrad)) {
                    return origLoss;
                }
                boolean stop = false;
                while (!stop && iterations < maxIter) {
                    NDArray dBefore = d;
                    NDArray gradBefore = flatGrad;
                    NDScope iteration = new NDScope();
                    try {
                        stop = iterate();
                    } finally {
                        // The direction and gradient go into the step's scope, freed when the step
                        // ends (and read by save() should the closure have failed).
                        NDScope.unregister(d, flatGrad);
                        iteration.close();
                        if (d != state.get("d")) { // the state's own array is never a temporary
                            NDScope.register(d);
                        }
                        NDScope.register(flatGrad);
                    }
                    if (dBefore != d && dBefore != state.get("d")) {
                        dBefore.close();
                    }
                    if (gradBefore != flatGrad) {
                        gradBefore.close();
                    }
                }
            } finally {
                save(d);
            }
            return origLoss;
        }

        /** One iteration: a direction, a step along it, a new gradient; true when the step should end. */
        private boolean iterate() {
            iterations++;
            nIter++;
            if (nIter == 1) {
                d = flatGrad.neg();
                length = 0;
                start = 0;
                hDiag = 1;
            } else {
                d = direction(flatGrad, state.get("prev_flat_grad"), d);
            }
            state.get("prev_flat_grad").set(new NDIndex("..."), flatGrad);
            prevLoss = loss;
            // 1. / tensor is reciprocal(tensor) * 1. in PyTorch; min(1., x) keeps 1. unless x < 1.
            t = nIter == 1
                    ? TorchScalar.min(TorchScalar.ONE, tensor(1 / value(flatGrad.abs().sum()).getDouble())).times(TorchScalar.of(lr))
                    : TorchScalar.of(lr);
            double gtd = dot(flatGrad, d);
            if (gtd > r(-toleranceChange)) {
                return true;
            }
            int lineSearchEvals;
            boolean optimal;
            if (strongWolfe) {
                LineSearch search = new LineSearch(d, loss, flatGrad, gtd);
                loss = search.fNew;
                flatGrad = search.gNew;
                t = search.stepLength;
                lineSearchEvals = search.evals;
                problem.move(t.value(), d);
                optimal = maxAbs(flatGrad) <= r(toleranceGrad);
            } else {
                problem.move(t.value(), d);
                lineSearchEvals = 0;
                optimal = false;
                if (iterations != maxIter) {
                    loss = problem.evaluate();
                    flatGrad = problem.gradient();
                    optimal = maxAbs(flatGrad) <= r(toleranceGrad);
                    lineSearchEvals = 1;
                }
            }
            currentEvals += lineSearchEvals;
            funcEvals += lineSearchEvals;
            return iterations == maxIter || currentEvals >= maxEval || optimal
                    || maxAbs(d.mul(FusedOps.scalar(d, t.value()))) <= r(toleranceChange)
                    || Math.abs(loss - prevLoss) < toleranceChange;
        }

        /** The two-loop recursion, after the newest pair joins the history when y.s > 1e-10. */
        private NDArray direction(NDArray flatGrad, NDArray prevFlatGrad, NDArray d) {
            NDArray r;
            try (NDScope ignored = new NDScope()) {
                r = twoLoop(flatGrad, prevFlatGrad, d);
                NDScope.unregister(r);
            }
            NDScope.register(r);
            return r;
        }

        private NDArray twoLoop(NDArray flatGrad, NDArray prevFlatGrad, NDArray d) {
            NDArray y = flatGrad.sub(prevFlatGrad);
            NDArray s = d.mul(FusedOps.scalar(d, t.value()));
            double ys = dot(y, s);
            if (ys > r(1e-10)) {
                int row;
                if (length == historySize) {
                    row = start;
                    start = (start + 1) % historySize;
                } else {
                    row = (start + length) % historySize;
                    length++;
                }
                oldDirs.set(new NDIndex(row), y);
                oldStps.set(new NDIndex(row), s);
                ro[row] = r(1 / ys);
                hDiag = r(ys / dot(y, y));
            }
            NDArray q = flatGrad.neg();
            // Each pass's temporaries (the multiply-add's several arrays) freed as it ends: history sizes reach 100.
            for (int i = length - 1; i >= 0; i--) {
                int row = (start + i) % historySize;
                try (NDScope ignored = new NDScope()) {
                    al[row] = r(dot(oldStps.get(row), q) * ro[row]);
                    FusedOps.addScaledInPlace(q, oldDirs.get(row), -al[row]);
                }
            }
            NDArray r = q.mul(FusedOps.scalar(q, hDiag));
            for (int i = 0; i < length; i++) {
                int row = (start + i) % historySize;
                try (NDScope ignored = new NDScope()) {
                    double be = r(dot(oldDirs.get(row), r) * ro[row]);
                    FusedOps.addScaledInPlace(r, oldStps.get(row), r(al[row] - be));
                }
            }
            return r;
        }

        private void save(NDArray d) {
            if (d != state.get("d")) {
                state.get("d").set(new NDIndex("..."), d);
            }
            NDArray roArray = state.get("ro");
            roArray.set(new NDIndex("..."), roArray.getManager().create(ro).toType(roArray.getDataType(), false));
            NDArray diag = state.get("H_diag");
            diag.set(new NDIndex("..."), diag.getManager().create(hDiag).toType(diag.getDataType(), false));
            state.get("t").set(new double[] {t.value()});
            state.get("prev_loss").set(new double[] {prevLoss});
            state.get("n_iter").set(new double[] {nIter});
            state.get("func_evals").set(new double[] {funcEvals});
            state.get("history_start").set(new double[] {start});
            state.get("history_length").set(new double[] {length});
        }

        /**
         * {@code a.dot(b)} as torch 1.13's CPU build computes it: the rounded products added in
         * order, in the tensors' type (measured on Debian's build: every one of 4,500 random
         * float32 vectors of 2 to 100 values); libtorch's own dot on other devices.
         */
        private double dot(NDArray a, NDArray b) {
            if (!a.getDevice().equals(Device.cpu())) {
                return value(a.dot(b)).getDouble();
            }
            if (single) {
                float[] x = a.toFloatArray();
                float[] y = b.toFloatArray();
                float sum = 0;
                for (int i = 0; i < x.length; i++) {
                    sum += x[i] * y[i];
                }
                return sum;
            }
            double[] x = a.toDoubleArray();
            double[] y = b.toDoubleArray();
            double sum = 0;
            for (int i = 0; i < x.length; i++) {
                sum += x[i] * y[i];
            }
            return sum;
        }

        private static double maxAbs(NDArray x) {
            return value(x.abs().max()).getDouble();
        }

        /** A float32 or float64 array as float64, to read. */
        private static NDArray value(NDArray x) {
            return x.toType(DataType.FLOAT64, false);
        }

        /** A loss and the directional derivative at {@code x + t d}, with its gradient. */
        private record Point(double f, NDArray g, double gtd) {
        }

        private Point evaluateAt(NDArray[] x, TorchScalar t, NDArray d) {
            problem.move(t.value(), d);
            double f = problem.evaluate();
            NDArray g = problem.gradient();
            problem.restore(x);
            return new Point(f, g, dot(g, d));
        }

        /** torch's {@code _strong_wolfe}: brackets a step that satisfies the strong Wolfe conditions, then zooms in. */
        private final class LineSearch {
            double fNew;
            NDArray gNew;
            TorchScalar stepLength;
            int evals;

            /** The search from {@code Search.this.t}; its trial points' gradients and the saved parameters are freed as it ends. */
            LineSearch(NDArray d, double f, NDArray g, double gtd) {
                try (NDScope ignored = new NDScope()) {
                    search(d, f, g, gtd);
                    NDScope.unregister(gNew);
                }
                NDScope.register(gNew);
            }

            private void search(NDArray d, double f, NDArray g, double gtd) {
                NDArray[] x = problem.save();
                TorchScalar dNorm = tensor(maxAbs(d));
                TorchScalar step = Search.this.t;
                Point next = evaluateAt(x, step, d);
                evals = 1;
                TorchScalar tPrev = TorchScalar.ZERO;
                double fPrev = f;
                NDArray gPrev = g;
                TorchScalar gtdPrev = tensor(gtd);
                TorchScalar gtdT = tensor(gtd);
                TorchScalar[] bracket = null;
                double[] bracketF = null;
                NDArray[] bracketG = null;
                TorchScalar[] bracketGtd = null;
                boolean done = false;
                int iteration = 0;
                while (iteration < MAX_LINE_SEARCH) {
                    TorchScalar gtdNew = tensor(next.gtd);
                    if (armijoFails(next.f, f, step, gtdT) || (iteration > 1 && next.f >= fPrev)) {
                        bracket = new TorchScalar[] {tPrev, step};
                        bracketF = new double[] {fPrev, next.f};
                        bracketG = new NDArray[] {gPrev, next.g};
                        bracketGtd = new TorchScalar[] {gtdPrev, gtdNew};
                        break;
                    }
                    if (TorchScalar.lessOrEqual(gtdNew.abs(), TorchScalar.of(-C2).times(gtdT))) {
                        bracket = new TorchScalar[] {step};
                        bracketF = new double[] {next.f};
                        bracketG = new NDArray[] {next.g};
                        done = true;
                        break;
                    }
                    if (next.gtd >= 0) {
                        bracket = new TorchScalar[] {tPrev, step};
                        bracketF = new double[] {fPrev, next.f};
                        bracketG = new NDArray[] {gPrev, next.g};
                        bracketGtd = new TorchScalar[] {gtdPrev, gtdNew};
                        break;
                    }
                    TorchScalar minStep = step.plus(TorchScalar.of(0.01).times(step.minus(tPrev)));
                    TorchScalar maxStep = step.times(TorchScalar.of(10));
                    TorchScalar previous = step;
                    step = cubicInterpolate(tPrev, fPrev, gtdPrev, step, next.f, gtdNew, minStep, maxStep);
                    tPrev = previous;
                    fPrev = next.f;
                    gPrev = next.g;
                    gtdPrev = gtdNew;
                    next = evaluateAt(x, step, d);
                    evals++;
                    iteration++;
                }
                if (iteration == MAX_LINE_SEARCH) {
                    bracket = new TorchScalar[] {TorchScalar.ZERO, step};
                    bracketF = new double[] {f, next.f};
                    bracketG = new NDArray[] {g, next.g};
                }
                boolean insufficientProgress = false;
                int low = bracketF[0] <= bracketF[bracketF.length - 1] ? 0 : 1;
                int high = 1 - low;
                while (!done && iteration < MAX_LINE_SEARCH) {
                    if (TorchScalar.less(bracket[1].minus(bracket[0]).abs().times(dNorm), TorchScalar.of(toleranceChange))) {
                        break;
                    }
                    step = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1],
                            bracketGtd[1], null, null);
                    TorchScalar top = TorchScalar.max(bracket[0], bracket[1]);
                    TorchScalar bottom = TorchScalar.min(bracket[0], bracket[1]);
                    TorchScalar eps = TorchScalar.of(0.1).times(top.minus(bottom));
                    if (TorchScalar.less(TorchScalar.min(top.minus(step), step.minus(bottom)), eps)) {
                        if (insufficientProgress || TorchScalar.lessOrEqual(top, step) || TorchScalar.lessOrEqual(step, bottom)) {
                            step = TorchScalar.less(step.minus(top).abs(), step.minus(bottom).abs())
                                    ? top.minus(eps) : bottom.plus(eps);
                            insufficientProgress = false;
                        } else {
                            insufficientProgress = true;
                        }
                    } else {
                        insufficientProgress = false;
                    }
                    next = evaluateAt(x, step, d);
                    evals++;
                    iteration++;
                    TorchScalar gtdNew = tensor(next.gtd);
                    if (armijoFails(next.f, f, step, gtdT) || next.f >= bracketF[low]) {
                        bracket[high] = step;
                        bracketF[high] = next.f;
                        bracketG[high] = next.g;
                        bracketGtd[high] = gtdNew;
                        low = bracketF[0] <= bracketF[1] ? 0 : 1;
                        high = 1 - low;
                    } else {
                        if (TorchScalar.lessOrEqual(gtdNew.abs(), TorchScalar.of(-C2).times(gtdT))) {
                            done = true;
                        } else if (TorchScalar.lessOrEqual(TorchScalar.ZERO, gtdNew.times(bracket[high].minus(bracket[low])))) {
                            bracket[high] = bracket[low];
                            bracketF[high] = bracketF[low];
                            bracketG[high] = bracketG[low];
                            bracketGtd[high] = bracketGtd[low];
                        }
                        bracket[low] = step;
                        bracketF[low] = next.f;
                        bracketG[low] = next.g;
                        bracketGtd[low] = gtdNew;
                    }
                }
                this.stepLength = bracket[low];
                this.fNew = bracketF[low];
                this.gNew = bracketG[low];
            }

            /** {@code f_new > f + c1 * t * gtd}, with PyTorch's types: the right side is a tensor. */
            private boolean armijoFails(double fNew, double f, TorchScalar t, TorchScalar gtd) {
                return TorchScalar.less(TorchScalar.of(f).plus(TorchScalar.of(C1).times(t).times(gtd)), TorchScalar.of(fNew));
            }
        }

        /**
         * torch's {@code _cubic_interpolate}: the minimiser of the cubic through two points with
         * their slopes, within the bounds (the points' own when {@code lower} is null), or the
         * bounds' middle when the cubic has none.
         */
        private static TorchScalar cubicInterpolate(TorchScalar x1, double f1, TorchScalar g1, TorchScalar x2, double f2, TorchScalar g2, TorchScalar lower, TorchScalar upper) {
            if (lower == null) {
                boolean ordered = TorchScalar.lessOrEqual(x1, x2);
                lower = ordered ? x1 : x2;
                upper = ordered ? x2 : x1;
            }
            TorchScalar d1 = g1.plus(g2).minus(TorchScalar.of(3 * (f1 - f2)).over(x1.minus(x2)));
            TorchScalar d2Square = d1.times(d1).minus(g1.times(g2));
            if (TorchScalar.lessOrEqual(TorchScalar.ZERO, d2Square)) {
                TorchScalar d2 = d2Square.sqrt();
                TorchScalar two = TorchScalar.of(2);
                TorchScalar minPos = TorchScalar.lessOrEqual(x1, x2)
                        ? x2.minus(x2.minus(x1).times(g2.plus(d2).minus(d1).over(g2.minus(g1).plus(two.times(d2)))))
                        : x1.minus(x1.minus(x2).times(g1.plus(d2).minus(d1).over(g1.minus(g2).plus(two.times(d2)))));
                return TorchScalar.min(TorchScalar.max(minPos, lower), upper);
            }
            return lower.plus(upper).over(TorchScalar.of(2));
        }
    }
}
