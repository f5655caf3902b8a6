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
 * <p>Rank r's batch has n_r rows (B, except in an epoch's last global batch). Its backward pass
 * scales the loss by {@code n_r / B} ({@link #share}), so that the gradients, summed over the
 * ranks in rank order and multiplied by {@code B × batches / rows} (the batches and rows of all
 * ranks since the last exchange), are the mean over every row of the global batch, as one
 * replica would compute it on all N×B rows, up to the order of summation. With full batches the
 * share is 1 and the factor 1/N. Accumulated batches combine as they do on one replica: under
 * the mean, the gradient is the mean over all their rows.
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
    /** Rows and batches of all ranks whose gradients were added since the last exchange. */
    private double rows;
    private int batches;

    /** @param workerBatch B: the rows of each rank's full batch */
    public GradientExchange(Collective collective, int workerBatch) {
        this.collective = Objects.requireNonNull(collective, "collective");
        if (workerBatch < 1) {
            throw new IllegalArgumentException("workerBatch must be at least 1, got " + workerBatch);
        }
        this.workerBatch = workerBatch;
    }

    public Collective collective() {
        return collective;
    }

    /** What the backward pass of a batch of {@code rows} rows scales its loss by: {@code rows / B}. */
    public double share(long rows) {
        return rows == workerBatch ? 1.0 : (double) rows / workerBatch;
    }

    /** The mean loss over the rows of every rank's batch, {@code loss} being this rank's mean over its {@code rows}. */
    public double loss(double loss, long rows) {
        float[] sums = {(float) (rows * loss), rows};
        collective.sum(sums);
        this.rows += sums[1];
        batches++;
        return (double) sums[0] / sums[1];
    }

    /**
     * Replaces the gradients of {@code optimizer}'s trainable parameters by their mean over the
     * rows of every rank since the last exchange; the same bits on every rank.
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
        float factor = (float) (workerBatch * (double) batches / rows);
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
        reset();
    }

    /** Forgets the rows and batches counted: at the start of a run, where the gradients are cleared. */
    public void reset() {
        rows = 0;
        batches = 0;
    }

    private static FloatBuffer floats(NDArray array) {
        return array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
