package dev.anneal.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.anneal.config.Checks;
import dev.anneal.internal.FusedOps;
import dev.anneal.schedule.Schedule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
            "The most evaluations of the closure one step makes: a whole number; 0 for maxIter * 5 / 4.");
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
            Schedule.constantValue(h.get(count)).ifPresent(v -> c.require(v == Math.rint(v), count.name(),
                    "must be a whole number, got " + v));
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
     * Reports into {@code checks} counters in a saved state that no run leaves: the history's
     * start outside {@code [0, historySize)} or its length outside {@code [0, historySize]}, counters that are not whole and not
     * negative, and non-finite step, loss or scales (shapes are the optimizer's to check).
     */
    static void checkState(Map<String, NDArray> saved, long historySize, Checks checks) {
        Map<String, Double> most = new LinkedHashMap<>();
        most.put("n_iter", Double.MAX_VALUE);
        most.put("func_evals", Double.MAX_VALUE);
        most.put("history_start", historySize - 1.0);
        most.put("history_length", (double) historySize);
        most.forEach((counter, largest) -> {
            double v = saved.get(counter).toType(DataType.FLOAT64, false).getDouble();
            checks.require(v == Math.rint(v) && v >= 0 && v <= largest, "tensors[\"" + counter + "\"]",
                    "must be a whole number from 0" + (largest < Double.MAX_VALUE ? " to " + largest.longValue() : "")
                            + ", got " + v);
        });
        for (String value : List.of("t", "prev_loss", "H_diag", "ro")) {
            NDArray array = saved.get(value);
            checks.require(FiniteCheck.count(array) == 0, "tensors[\"" + value + "\"]", "must be finite");
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
        private Py t;
        private double prevLoss;
        private long nIter;
        private long funcEvals;
        private int start;
        private int length;

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
            this.t = Py.of(state.get("t").getDouble());
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

        private Py tensor(double x) {
            return new Py(r(x), true, single);
        }

        double run() {
            double origLoss = problem.evaluate();
            double loss = origLoss;
            int currentEvals = 1;
            funcEvals++;
            NDArray flatGrad = problem.gradient();
            if (maxAbs(flatGrad) <= r(toleranceGrad)) {
                save(state.get("d"));
                return origLoss;
            }
            NDArray d = state.get("d");
            NDArray prevFlatGrad = state.get("prev_flat_grad");
            int iterations = 0;
            while (iterations < maxIter) {
                iterations++;
                nIter++;
                if (nIter == 1) {
                    d = flatGrad.neg();
                    length = 0;
                    start = 0;
                    hDiag = 1;
                } else {
                    d = direction(flatGrad, prevFlatGrad, d);
                }
                prevFlatGrad.set(new NDIndex("..."), flatGrad);
                prevLoss = loss;
                // 1. / tensor is reciprocal(tensor) * 1. in PyTorch; min(1., x) keeps 1. unless x < 1.
                t = nIter == 1 ? Py.min(Py.ONE, tensor(1 / value(flatGrad.abs().sum()).getDouble())).times(Py.of(lr))
                        : Py.of(lr);
                double gtd = dot(flatGrad, d);
                if (gtd > r(-toleranceChange)) {
                    break;
                }
                int lineSearchEvals;
                boolean optimal;
                if (strongWolfe) {
                    LineSearch search = new LineSearch(d, loss, flatGrad, gtd);
                    loss = search.fNew;
                    flatGrad = search.gNew;
                    t = search.t;
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
                if (iterations == maxIter || currentEvals >= maxEval || optimal) {
                    break;
                }
                if (maxAbs(d.mul(FusedOps.scalar(d, t.value()))) <= r(toleranceChange)) {
                    break;
                }
                if (Math.abs(loss - prevLoss) < toleranceChange) {
                    break;
                }
            }
            save(d);
            return origLoss;
        }

        /** The two-loop recursion, after the newest pair joins the history when y.s > 1e-10. */
        private NDArray direction(NDArray flatGrad, NDArray prevFlatGrad, NDArray d) {
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
            for (int i = length - 1; i >= 0; i--) {
                int row = (start + i) % historySize;
                al[row] = r(dot(oldStps.get(row), q) * ro[row]);
                FusedOps.addScaledInPlace(q, oldDirs.get(row), -al[row]);
            }
            NDArray r = q.mul(FusedOps.scalar(q, hDiag));
            for (int i = 0; i < length; i++) {
                int row = (start + i) % historySize;
                double be = r(dot(oldDirs.get(row), r) * ro[row]);
                FusedOps.addScaledInPlace(r, oldStps.get(row), r(al[row] - be));
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

        private Point evaluateAt(NDArray[] x, Py t, NDArray d) {
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
            Py t;
            int evals;

            LineSearch(NDArray d, double f, NDArray g, double gtd) {
                NDArray[] x = problem.save();
                Py dNorm = tensor(maxAbs(d));
                Py step = Search.this.t;
                Point next = evaluateAt(x, step, d);
                evals = 1;
                Py tPrev = Py.ZERO;
                double fPrev = f;
                NDArray gPrev = g;
                Py gtdPrev = tensor(gtd);
                Py gtdT = tensor(gtd);
                Py[] bracket = null;
                double[] bracketF = null;
                NDArray[] bracketG = null;
                Py[] bracketGtd = null;
                boolean done = false;
                int iteration = 0;
                while (iteration < MAX_LINE_SEARCH) {
                    Py gtdNew = tensor(next.gtd);
                    if (armijoFails(next.f, f, step, gtdT) || (iteration > 1 && next.f >= fPrev)) {
                        bracket = new Py[] {tPrev, step};
                        bracketF = new double[] {fPrev, next.f};
                        bracketG = new NDArray[] {gPrev, next.g};
                        bracketGtd = new Py[] {gtdPrev, gtdNew};
                        break;
                    }
                    if (Py.lessOrEqual(gtdNew.abs(), Py.of(-C2).times(gtdT))) {
                        bracket = new Py[] {step};
                        bracketF = new double[] {next.f};
                        bracketG = new NDArray[] {next.g};
                        done = true;
                        break;
                    }
                    if (next.gtd >= 0) {
                        bracket = new Py[] {tPrev, step};
                        bracketF = new double[] {fPrev, next.f};
                        bracketG = new NDArray[] {gPrev, next.g};
                        bracketGtd = new Py[] {gtdPrev, gtdNew};
                        break;
                    }
                    Py minStep = step.plus(Py.of(0.01).times(step.minus(tPrev)));
                    Py maxStep = step.times(Py.of(10));
                    Py previous = step;
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
                    bracket = new Py[] {Py.ZERO, step};
                    bracketF = new double[] {f, next.f};
                    bracketG = new NDArray[] {g, next.g};
                }
                boolean insufficientProgress = false;
                int low = bracketF[0] <= bracketF[bracketF.length - 1] ? 0 : 1;
                int high = 1 - low;
                while (!done && iteration < MAX_LINE_SEARCH) {
                    if (Py.less(bracket[1].minus(bracket[0]).abs().times(dNorm), Py.of(toleranceChange))) {
                        break;
                    }
                    step = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1],
                            bracketGtd[1], null, null);
                    Py top = Py.max(bracket[0], bracket[1]);
                    Py bottom = Py.min(bracket[0], bracket[1]);
                    Py eps = Py.of(0.1).times(top.minus(bottom));
                    if (Py.less(Py.min(top.minus(step), step.minus(bottom)), eps)) {
                        if (insufficientProgress || Py.lessOrEqual(top, step) || Py.lessOrEqual(step, bottom)) {
                            step = Py.less(step.minus(top).abs(), step.minus(bottom).abs())
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
                    Py gtdNew = tensor(next.gtd);
                    if (armijoFails(next.f, f, step, gtdT) || next.f >= bracketF[low]) {
                        bracket[high] = step;
                        bracketF[high] = next.f;
                        bracketG[high] = next.g;
                        bracketGtd[high] = gtdNew;
                        low = bracketF[0] <= bracketF[1] ? 0 : 1;
                        high = 1 - low;
                    } else {
                        if (Py.lessOrEqual(gtdNew.abs(), Py.of(-C2).times(gtdT))) {
                            done = true;
                        } else if (Py.lessOrEqual(Py.ZERO, gtdNew.times(bracket[high].minus(bracket[low])))) {
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
                this.t = bracket[low];
                this.fNew = bracketF[low];
                this.gNew = bracketG[low];
            }

            /** {@code f_new > f + c1 * t * gtd}, with PyTorch's types: the right side is a tensor. */
            private boolean armijoFails(double fNew, double f, Py t, Py gtd) {
                return Py.less(Py.of(f).plus(Py.of(C1).times(t).times(gtd)), Py.of(fNew));
            }
        }

        /**
         * torch's {@code _cubic_interpolate}: the minimiser of the cubic through two points with
         * their slopes, within the bounds (the points' own when {@code lower} is null), or the
         * bounds' middle when the cubic has none.
         */
        private static Py cubicInterpolate(Py x1, double f1, Py g1, Py x2, double f2, Py g2, Py lower, Py upper) {
            if (lower == null) {
                boolean ordered = Py.lessOrEqual(x1, x2);
                lower = ordered ? x1 : x2;
                upper = ordered ? x2 : x1;
            }
            Py d1 = g1.plus(g2).minus(Py.of(3 * (f1 - f2)).over(x1.minus(x2)));
            Py d2Square = d1.times(d1).minus(g1.times(g2));
            if (Py.lessOrEqual(Py.ZERO, d2Square)) {
                Py d2 = d2Square.sqrt();
                Py two = Py.of(2);
                Py minPos = Py.lessOrEqual(x1, x2)
                        ? x2.minus(x2.minus(x1).times(g2.plus(d2).minus(d1).over(g2.minus(g1).plus(two.times(d2)))))
                        : x1.minus(x1.minus(x2).times(g1.plus(d2).minus(d1).over(g1.minus(g2).plus(two.times(d2)))));
                return Py.min(Py.max(minPos, lower), upper);
            }
            return lower.plus(upper).over(Py.of(2));
        }
    }

    /**
     * A scalar as PyTorch's Python code holds it: a Python float (a double) or a 0-dim tensor of
     * the parameters' type ({@code single}: float32). An operation with a tensor on either side
     * gives a tensor, computed in the tensor's type with the other side rounded to it
     * ({@code float / tensor} as {@code reciprocal(tensor) * float}, as {@code Tensor.__rtruediv__}
     * does); a comparison with a tensor is made in the tensor's type. Each float32 result is the
     * exact one rounded once: double holds the sum, product, quotient or root of two floats
     * closely enough that rounding it to float gives float arithmetic's own result.
     */
    private record Py(double value, boolean tensor, boolean single) {
        static final Py ZERO = of(0);
        static final Py ONE = of(1);

        static Py of(double value) {
            return new Py(value, false, false);
        }

        /** The tensor type of an operation of this and {@code o}, when either is a tensor: float32 or not. */
        private boolean singleWith(Py o) {
            return tensor ? single : o.single;
        }

        private static double round(boolean single, double x) {
            return single ? (float) x : x;
        }

        private Py result(Py o, double exact) {
            boolean s = singleWith(o);
            return new Py(round(s, exact), true, s);
        }

        Py plus(Py o) {
            return tensor || o.tensor ? result(o, in(o) + o.in(this)) : of(value + o.value);
        }

        Py minus(Py o) {
            return tensor || o.tensor ? result(o, in(o) - o.in(this)) : of(value - o.value);
        }

        Py times(Py o) {
            return tensor || o.tensor ? result(o, in(o) * o.in(this)) : of(value * o.value);
        }

        Py over(Py o) {
            if (tensor) {
                return result(o, in(o) / o.in(this));
            }
            return o.tensor ? result(o, round(o.single, 1 / o.value) * in(o)) : of(value / o.value);
        }

        /** This value in the type of an operation with {@code o}. */
        private double in(Py o) {
            return tensor || o.tensor ? round(singleWith(o), value) : value;
        }

        Py abs() {
            return new Py(Math.abs(value), tensor, single);
        }

        /** A tensor's square root, correctly rounded. */
        Py sqrt() {
            return new Py(round(single, Math.sqrt(value)), true, single);
        }

        static boolean less(Py a, Py b) {
            return a.in(b) < b.in(a);
        }

        static boolean lessOrEqual(Py a, Py b) {
            return a.in(b) <= b.in(a);
        }

        /** Python's {@code min(a, b)}: {@code a} unless {@code b < a}. */
        static Py min(Py a, Py b) {
            return less(b, a) ? b : a;
        }

        /** Python's {@code max(a, b)}: {@code a} unless {@code b > a}. */
        static Py max(Py a, Py b) {
            return less(a, b) ? b : a;
        }
    }
}
