package dev.anneal.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.anneal.optim.Execution;
import dev.anneal.optim.Optimizer;
import dev.anneal.optim.OptimizerSpec;
import dev.anneal.param.ParameterSet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JVM implementations: Anneal (fused or generic) and DJL's built-in optimizers, on the same kind of arrays. */
final class Steppers {
    private Steppers() {
    }

    /** Anneal's optimizer over parameters whose gradients were set once by a backward pass. */
    static Stepper anneal(Kind kind, Layout layout, Execution execution) {
        return anneal(kind.anneal(), layout, execution);
    }

    /** The bytes of state {@code spec} keeps for parameters laid out as {@code layout}. */
    static long stateBytes(OptimizerSpec<?> spec, Layout layout) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (int i = 0; i < layout.count(); i++) {
                NDArray w = manager.zeros(layout.shape());
                w.setRequiresGradient(true);
                params.put("p" + i, w);
            }
            try (Optimizer<?> optimizer = spec.compile(ParameterSet.of(params), Execution.OFFLOAD)) {
                return optimizer.state().tensors().values().stream()
                        .mapToLong(a -> a.size() * a.getDataType().getNumOfBytes()).sum();
            }
        }
    }

    /** Steps of {@code spec} over random parameters laid out as {@code layout}, with fixed small gradients. */
    static Stepper anneal(OptimizerSpec<?> spec, Layout layout, Execution execution) {
        NDManager manager = NDManager.newBaseManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (int i = 0; i < layout.count(); i++) {
            NDArray w = manager.randomNormal(layout.shape());
            w.setRequiresGradient(true);
            params.put("p" + i, w);
        }
        try (NDScope ignored = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (NDArray w : params.values()) {
                NDArray term = w.mul(manager.randomNormal(w.getShape()).muli(1e-3f)).sum();
                loss = loss == null ? term : loss.add(term);
            }
            collector.backward(loss);
        }
        Optimizer<?> optimizer = spec.compile(ParameterSet.of(params), execution);
        return new Stepper() {
            @Override
            public double step() {
                long start = System.nanoTime();
                optimizer.step();
                return (System.nanoTime() - start) / 1e6;
            }

            @Override
            public void close() {
                optimizer.close();
                manager.close();
            }
        };
    }

    /**
     * The float32 matrix products of {@code iterations} Newton-Schulz iterations over one matrix
     * of {@code layout}, with Muon's coefficients, done by libtorch alone: the work of a Muon step
     * without its momentum, its bfloat16 roundings and its update.
     */
    static Stepper newtonSchulzProducts(Layout layout, int iterations, float a, float b, float c) {
        NDManager manager = NDManager.newBaseManager();
        NDArray start = manager.randomNormal(layout.shape());
        start.divi(start.norm());
        return new Stepper() {
            @Override
            public double step() {
                long begin = System.nanoTime();
                try (NDScope ignored = new NDScope()) {
                    NDArray x = start;
                    for (int i = 0; i < iterations; i++) {
                        NDArray gram = x.matMul(x.transpose());
                        NDArray polynomial = gram.matMul(gram).muli(c).addi(gram.mul(b));
                        x = polynomial.matMul(x).addi(x.mul(a));
                    }
                }
                return (System.nanoTime() - begin) / 1e6;
            }

            @Override
            public void close() {
                manager.close();
            }
        };
    }

    /** DJL's built-in optimizer, called per tensor as DJL's parameter server does. */
    static Stepper djl(Kind kind, Layout layout) {
        NDManager manager = NDManager.newBaseManager();
        List<NDArray> weights = new ArrayList<>();
        List<NDArray> grads = new ArrayList<>();
        for (int i = 0; i < layout.count(); i++) {
            weights.add(manager.randomNormal(layout.shape()));
            grads.add(manager.randomNormal(layout.shape()).muli(1e-3f));
        }
        ai.djl.training.optimizer.Optimizer optimizer = kind.djl();
        return new Stepper() {
            @Override
            public double step() {
                long start = System.nanoTime();
                for (int i = 0; i < weights.size(); i++) {
                    optimizer.update("p" + i, weights.get(i), grads.get(i));
                }
                return (System.nanoTime() - start) / 1e6;
            }

            @Override
            public void close() {
                manager.close();
            }
        };
    }
}
