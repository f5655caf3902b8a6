package dev.anneal.internal;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;

import java.util.concurrent.locks.ReentrantLock;

/**
 * DJL's gradient collector, one thread at a time. DJL's PyTorch collector is a JVM-wide
 * singleton that refuses a second one while one is open ("Only one can be collecting at a
 * time"), so replicas of a data-parallel run that share a JVM (threads, Spark's {@code local[N]})
 * take turns here for their forward and backward passes instead of failing.
 */
public final class GradientTape {
    private static final ReentrantLock TURN = new ReentrantLock();

    private GradientTape() {
    }

    /** A collector of {@code engineName}'s engine, opened once no other thread holds one; close it to let the next in. */
    public static GradientCollector open(String engineName) {
        TURN.lock();
        try {
            return new Held(Engine.getEngine(engineName).newGradientCollector());
        } catch (RuntimeException | Error e) {
            TURN.unlock();
            throw e;
        }
    }

    private record Held(GradientCollector collector) implements GradientCollector {
        @Override
        public void backward(NDArray target) {
            collector.backward(target);
        }

        @Override
        public void zeroGradients() {
            collector.zeroGradients();
        }

        @Override
        public void close() {
            try {
                collector.close();
            } finally {
                TURN.unlock();
            }
        }
    }
}
