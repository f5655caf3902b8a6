package dev.anneal.bench;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.anneal.grad.NonFinite;
import dev.anneal.optim.OptimizerBuilder;
import dev.anneal.optim.OptimizerSpec;
import dev.anneal.optim.Optimizers;

import java.util.function.Supplier;

/** The optimizers compared, with the same settings in every implementation. */
enum Kind {
    SGD_MOMENTUM("sgd-momentum", 20, () -> Optimizers.sgd().lr(0.01).momentum(0.9)) {
        @Override
        Optimizer djl() {
            return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).optMomentum(0.9f).build();
        }
    },
    ADAM("adam", 28, () -> Optimizers.adam().lr(1e-3)) {
        @Override
        Optimizer djl() {
            return Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-3f)).build();
        }
    },
    ADAMW("adamw", 28, () -> Optimizers.adamW().lr(1e-3).weightDecay(0.01)) {
        @Override
        Optimizer djl() {
            return Optimizer.adamW().optLearningRateTracker(Tracker.fixed(1e-3f)).optWeightDecays(0.01f).build();
        }
    },
    /** DJL's PyTorch engine has no RMSprop (its RmsProp throws there). */
    RMSPROP("rmsprop", 20, () -> Optimizers.rmsProp().lr(1e-2)),
    /** DJL's PyTorch engine has no Adagrad (its Adagrad throws there). */
    ADAGRAD("adagrad", 20, () -> Optimizers.adagrad().lr(1e-2)),
    /** DJL has no RAdam. */
    RADAM("radam", 28, () -> Optimizers.rAdam().lr(1e-3)),
    /** DJL has no NAdam; torch 1.13's NAdam differs from Anneal's (2.x's) in one scalar, not in the work per element. */
    NADAM("nadam", 28, () -> Optimizers.nAdam().lr(2e-3)),
    /** DJL's PyTorch engine has no Adadelta. */
    ADADELTA("adadelta", 28, () -> Optimizers.adadelta().lr(1.0)),
    /** DJL has no Adamax. */
    ADAMAX("adamax", 28, () -> Optimizers.adamax().lr(2e-3)),
    /**
     * DJL has no ASGD. Until update t0 (a million by default) its average is a copy of the
     * weights, so the rule must read weight and gradient and write weight and average: 16 bytes,
     * though the fused path reads the average too.
     */
    ASGD("asgd", 16, () -> Optimizers.asgd().lr(1e-2)),
    /** DJL has no Rprop: weight, gradient, previous gradient and step sizes. */
    RPROP("rprop", 28, () -> Optimizers.rprop().lr(1e-2)),
    /**
     * Neither DJL nor torch.optim has LAMB. Its trust ratio needs each tensor's norm of the new
     * moments' update before any weight moves, so a step reads weight, gradient and both moments
     * once for the norms (16 bytes) and again for the update (16 read, 12 written).
     */
    LAMB("lamb", 44, () -> Optimizers.lamb().lr(1e-3).weightDecay(0.01)) {
        @Override
        boolean inTorch() {
            return false;
        }
    },
    /**
     * torch.optim has Adafactor only since 2.5 and DJL none. It runs on the generic path on every
     * execution. On a vector its moment is per element: it reads weight, gradient and moment and
     * writes weight and moment, and reads the weight and the update once more for their norms.
     */
    ADAFACTOR("adafactor", 28, () -> Optimizers.adafactor().lr(1e-2)) {
        @Override
        boolean inTorch() {
            return false;
        }
    },
    /** Neither DJL nor torch.optim 1.13 has Lion: Anneal's two paths only. */
    LION("lion", 20, () -> Optimizers.lion().lr(1e-4).weightDecay(0.01)) {
        @Override
        boolean inTorch() {
            return false;
        }
    };

    final String label;
    /** Bytes a step must move per element: reads of weight, gradient and state, writes of weight and state. */
    final int bytesPerElement;
    /** Anneal's builder with this kind's settings. */
    private final Supplier<OptimizerBuilder<?, ?>> builder;

    Kind(String label, int bytesPerElement, Supplier<OptimizerBuilder<?, ?>> builder) {
        this.label = label;
        this.bytesPerElement = bytesPerElement;
        this.builder = builder;
    }

    /** Anneal's optimizer with this kind's settings and the default non-finite check. */
    OptimizerSpec<?> anneal() {
        return builder.get().build();
    }

    /** The same with NaN and infinity handled by {@code policy}: {@code APPLY} leaves out the check's read of the gradients. */
    OptimizerSpec<?> anneal(NonFinite policy) {
        return builder.get().onNonFinite(policy).build();
    }

    /** DJL's counterpart with the same settings, or null when DJL has none. */
    Optimizer djl() {
        return null;
    }

    /** Whether {@code torch_worker.py} has the same optimizer. */
    boolean inTorch() {
        return true;
    }
}
