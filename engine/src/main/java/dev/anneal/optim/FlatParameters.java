package dev.anneal.optim;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.anneal.internal.FusedOps;
import dev.anneal.param.Param;

import java.util.List;
import java.util.function.DoubleConsumer;
import java.util.function.DoubleSupplier;

/**
 * An optimizer's parameters as one flat vector (each row-major, in turn), with the closure that
 * evaluates them: what {@link Lbfgs} works on, as {@code torch.optim.LBFGS}'s
 * {@code _gather_flat_grad} and {@code _add_grad} see its parameters. Temporaries are the caller's
 * to scope.
 */
final class FlatParameters implements Lbfgs.Problem {
    private final List<Param> params;
    private final Device store;
    private final DoubleSupplier closure;
    private final DoubleConsumer checkFirst;
    private boolean evaluated;

    /**
     * @param store      where the flat gradient goes: the search state's device
     * @param checkFirst checks the first evaluation's loss (and the gradients it left) before anything moves
     */
    FlatParameters(List<Param> params, Device store, DoubleSupplier closure, DoubleConsumer checkFirst) {
        this.params = params;
        this.store = store;
        this.closure = closure;
        this.checkFirst = checkFirst;
    }

    /** The closure, its temporaries (the forward pass's arrays) freed as it returns. */
    @Override
    public double evaluate() {
        double loss;
        try (NDScope ignored = new NDScope()) {
            loss = closure.getAsDouble();
        }
        if (!evaluated) {
            evaluated = true;
            checkFirst.accept(loss);
        }
        return loss;
    }

    @Override
    public NDArray gradient() {
        NDList flat = new NDList();
        for (Param p : params) {
            NDArray w = p.array();
            flat.add(Gradients.none(w) ? w.zerosLike().reshape(-1) : w.getGradient().reshape(-1));
        }
        return NDArrays.concat(flat).toDevice(store, false);
    }

    @Override
    public void move(double t, NDArray d) {
        long offset = 0;
        for (Param p : params) {
            NDArray w = p.array();
            long n = w.size();
            try (NDScope ignored = new NDScope()) {
                NDArray step = d.get(new NDIndex(offset + ":" + (offset + n))).reshape(w.getShape());
                p.assign(FusedOps.addScaled(w.stopGradient(), step.toDevice(w.getDevice(), false), t));
            }
            offset += n;
        }
    }

    @Override
    public NDArray[] save() {
        return params.stream().map(p -> p.array().stopGradient().duplicate()).toArray(NDArray[]::new);
    }

    @Override
    public void restore(NDArray[] saved) {
        for (int i = 0; i < saved.length; i++) {
            params.get(i).assign(saved[i]);
        }
    }
}
