package dev.anneal.parallel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.anneal.optim.Optimizer;
import dev.anneal.param.Param;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Objects;

/**
 * What makes N replicas with batches of B rows one run on batches of N×B: the supervised step
 * reports each batch's loss and, before the gradient transforms, the gradients through it.
 *
 * <p>Rank r's batch has n_r of the global batch's m rows (m = N×B, except in an epoch's last
 * global batch). Its backward pass scales the loss by {@code N × n_r / m} ({@link #share}), so
 * that the gradients, summed over the ranks in rank order and divided by N, are the mean over the
 * global batch's rows, as one replica would compute it on all m rows, up to the order of
 * summation. With full batches the share is 1. Each batch is weighed on its own, so accumulated
 * batches combine exactly as on one replica, a short last batch included. The loop tells the
 * exchange each global batch's rows ({@link #expectGlobalRows}); untold, it takes N×B.
 *
 * <p>Every rank gets the same bits, runs the same optimizer on them, and so keeps the same
 * parameters and state. A NaN or infinity on any rank reaches all: a non-finite loss stops every
 * rank at the same batch, and gradients that overflowed under loss scaling make every rank skip
 * the same step and lower its scale alike.
 */
public final class GradientExchange {
    private final Collective collective;
    private final int workerBatch;
    private float[] flat = new float[0];
    /** The rows of the global batch the next batch belongs to; 0 for N×B. */
    private long globalRows;

    /** @param workerBatch B: the rows of each rank's full batch */
    public GradientExchange(Collective collective, int workerBatch) {
        this.collective = Objects.requireNonNull(collective, "collective");
        if (workerBatch < 1) {
            throw new IllegalArgumentException("workerBatch must be at least 1, got " + workerBatch);
        }
        this.workerBatch = workerBatch;
    }

    /** The next batch belongs to a global batch of {@code rows} rows (the loop knows it from the sampler). */
    public void expectGlobalRows(long rows) {
        this.globalRows = rows;
    }

    /**
     * What the backward pass of this rank's batch of {@code rows} rows scales its loss by:
     * {@code N × rows / m}, 1 for full batches.
     */
    public double share(long rows) {
        long global = globalRows > 0 ? globalRows : (long) collective.size() * workerBatch;
        long weighed = rows * collective.size();
        return weighed == global ? 1.0 : (double) weighed / global;
    }

    /** The mean loss over the rows of every rank's batch, {@code loss} being this rank's mean over its {@code rows}. */
    public double loss(double loss, long rows) {
        float[] sums = {(float) (rows * loss), rows};
        collective.sum(sums);
        return (double) sums[0] / sums[1];
    }

    /**
     * Replaces the gradients of {@code optimizer}'s trainable parameters by their sum over the
     * ranks divided by N: the global batch's gradient; the same bits on every rank.
     */
    public void gradients(Optimizer<?> optimizer) {
        List<Param> params = optimizer.parameters().trainable();
        int total = 0;
        for (Param p : params) {
            if (p.array().getDataType() != DataType.FLOAT32) {
                throw new IllegalStateException("data-parallel training exchanges float32 gradients; parameter "
                        + p.name() + " is " + p.array().getDataType());
            }
            total = Math.addExact(total, Math.toIntExact(p.array().size()));
        }
        if (flat.length != total) {
            flat = new float[total];
        }
        int at = 0;
        for (Param p : params) {
            try (NDScope ignored = new NDScope()) {
                int n = (int) p.array().size();
                floats(p.array().getGradient()).get(flat, at, n);
                at += n;
            }
        }
        collective.sum(flat);
        float factor = 1f / collective.size();
        for (int i = 0; i < flat.length; i++) {
            flat[i] *= factor;
        }
        at = 0;
        for (Param p : params) {
            try (NDScope ignored = new NDScope()) {
                NDArray gradient = p.array().getGradient();
                int n = (int) p.array().size();
                if (gradient.getDevice().isGpu()) {
                    gradient.set(new NDIndex("..."), gradient.getManager()
                            .create(FloatBuffer.wrap(flat, at, n), gradient.getShape()));
                } else {
                    floats(gradient).put(flat, at, n); // the tensor's own memory
                }
                at += n;
            }
        }
    }

    private static FloatBuffer floats(NDArray array) {
        return array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
