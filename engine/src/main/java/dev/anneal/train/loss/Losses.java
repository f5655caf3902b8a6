package dev.anneal.train.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.internal.FusedOps;

/**
 * Loss functions with PyTorch's definitions and its default mean reduction, as DJL
 * {@link Loss}es, so they serve Anneal's loop and DJL's trainer alike. Each checks that labels and
 * predictions fit, and says what it got when they do not.
 */
public final class Losses {
    private Losses() {
    }

    /** Mean absolute error, {@code mean(|p - y|)}: PyTorch's {@code l1_loss}, MindSpore's {@code L1Loss}. */
    public static Loss l1() {
        return new Pairwise("L1Loss", "l1", (p, y) -> p.sub(y).abs().mean());
    }

    /** Mean squared error, {@code mean((p - y)^2)}: PyTorch's {@code mse_loss} (DJL's L2Loss halves it). */
    public static Loss mse() {
        return new Pairwise("MSELoss", "mse", (p, y) -> p.sub(y).square().mean());
    }

    /**
     * Smooth L1 (Girshick, 2015, "Fast R-CNN"), PyTorch's {@code smooth_l1_loss}:
     * {@code 0.5 d^2 / beta} where {@code |d| < beta}, else {@code |d| - 0.5 beta}; mean.
     */
    public static Loss smoothL1(double beta) {
        if (!(beta > 0) || !Double.isFinite(beta)) {
            throw new InvalidConfigException("loss.smoothL1.beta", "must be positive (> 0), got " + beta);
        }
        return new Pairwise("SmoothL1Loss", "smoothL1", (p, y) -> {
            NDArray d = p.sub(y);
            NDArray absolute = d.abs();
            return NDArrays.where(absolute.lt(beta), d.square().mul(FusedOps.constant(d, 0.5 / beta)), absolute.sub(0.5 * beta)).mean();
        });
    }

    /**
     * Softmax cross-entropy of logits {@code (N, C)}, PyTorch's {@code cross_entropy}: with sparse
     * labels {@code (N)} (class indices) {@code mean(-log_softmax(p)[y])}; with labels shaped like
     * the logits (one-hot or probabilities) {@code mean(-sum(y * log_softmax(p)))}.
     */
    public static Loss softmaxCrossEntropy() {
        return new SoftmaxCrossEntropy();
    }

    /**
     * Binary cross-entropy of logits, PyTorch's {@code binary_cross_entropy_with_logits}, in its
     * stable form {@code mean(max(x, 0) - x * y + log(1 + exp(-|x|)))}.
     */
    public static Loss binaryCrossEntropyWithLogits() {
        return new Pairwise("BinaryCrossEntropyWithLogitsLoss", "binaryCrossEntropyWithLogits",
                (x, y) -> x.maximum(FusedOps.constant(x, 0)).sub(x.mul(y)).add(x.abs().neg().exp().add(1).log()).mean());
    }

    /** A loss of predictions and labels of one shape, labels in the predictions' type. */
    private static final class Pairwise extends Loss {
        private final String field;
        private final java.util.function.BinaryOperator<NDArray> loss;

        Pairwise(String name, String field, java.util.function.BinaryOperator<NDArray> loss) {
            super(name);
            this.field = field;
            this.loss = loss;
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray p = predictions.singletonOrThrow();
            NDArray y = labels.singletonOrThrow();
            if (!p.getShape().equals(y.getShape())) {
                throw new InvalidConfigException("loss." + field, "needs labels shaped like the predictions "
                        + p.getShape() + ", got " + y.getShape());
            }
            return loss.apply(p, y.toType(p.getDataType(), false));
        }
    }

    private static final class SoftmaxCrossEntropy extends Loss {
        SoftmaxCrossEntropy() {
            super("SoftmaxCrossEntropyLoss");
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray p = predictions.singletonOrThrow();
            NDArray y = labels.singletonOrThrow();
            if (p.getShape().dimension() != 2) {
                throw new InvalidConfigException("loss.softmaxCrossEntropy",
                        "needs logits shaped (N, classes), got " + p.getShape());
            }
            long classes = p.getShape().get(1);
            NDArray logProbabilities = p.logSoftmax(1);
            NDArray target;
            if (y.getShape().equals(p.getShape())) {
                target = y.toType(p.getDataType(), false);
            } else if (y.getShape().dimension() == 1 && y.getShape().get(0) == p.getShape().get(0)) {
                target = y.toType(ai.djl.ndarray.types.DataType.INT64, false).oneHot((int) classes)
                        .toType(p.getDataType(), false);
            } else {
                throw new InvalidConfigException("loss.softmaxCrossEntropy", "needs labels of shape ("
                        + p.getShape().get(0) + ") or " + p.getShape() + " for logits " + p.getShape()
                        + ", got " + y.getShape());
            }
            return target.mul(logProbabilities).sum(new int[] {1}).neg().mean();
        }
    }
}
