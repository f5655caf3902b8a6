package dev.anneal.parallel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.anneal.optim.Optimizer;
import dev.anneal.optim.OptimizerState;
import dev.anneal.param.Param;
import dev.anneal.param.ParameterSet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Keeps the replicas of a data-parallel run one model: the same start, and a check that they
 * stayed the same. Every replica applies the same update to the same bits, so their parameters
 * and optimizer state stay bit-identical; a digest compared every so many steps finds the case
 * where they did not (a nondeterministic operation, a replica fed other data) before it spoils
 * the run.
 */
public final class Replicas {
    /** Steps between two comparisons when none is given. */
    public static final long DEFAULT_CHECK_EVERY = 100;

    private Replicas() {
    }

    /**
     * Gives every replica rank 0's parameters: all of them ({@code all}, at the start), or only those
     * no optimizer updates (batch norm's running statistics, which each replica gathers from its
     * own rows, and frozen ones), before a validation, so that every replica measures rank 0's model.
     */
    public static void broadcastParameters(Collective collective, ParameterSet model, boolean all) {
        if (collective.size() == 1) {
            return;
        }
        for (Param p : all ? model.all() : model.all().stream().filter(p -> !p.isTrainable()).toList()) {
            NDArray array = p.array();
            if (array.getDataType() != DataType.FLOAT32) {
                throw new IllegalStateException("data-parallel training sends float32 parameters; parameter " + p.name()
                        + " is " + array.getDataType());
            }
            float[] values = array.toFloatArray();
            collective.broadcast(values, 0);
            try (NDManager scope = array.getManager().newSubManager()) {
                p.assign(scope.create(values, array.getShape()));
            }
        }
    }

    /**
     * Compares every replica's digest of its parameters and optimizer state; an
     * {@link IllegalStateException} naming the digests by rank when they differ.
     */
    public static void compare(Collective collective, ParameterSet model, Map<String, Optimizer<?>> optimizers) {
        long[] digests = collective.gather(digest(model, optimizers));
        if (Arrays.stream(digests).distinct().count() > 1) {
            long step = optimizers.values().iterator().next().stepCount();
            StringBuilder byRank = new StringBuilder();
            for (int r = 0; r < digests.length; r++) {
                byRank.append(r == 0 ? "" : ", ").append("rank ").append(r).append(' ')
                        .append(Long.toHexString(digests[r]));
            }
            throw new IllegalStateException("the replicas drifted apart by step " + step + ": digests of their parameters"
                    + " and optimizer state differ (" + byRank + "); a nondeterministic operation, or a replica that"
                    + " trained on other data or settings");
        }
    }

    /**
     * A CRC-32 of the trainable parameters and of every optimizer's state tensors and counters; not
     * of the running statistics, which each replica gathers from its own rows.
     */
    public static long digest(ParameterSet model, Map<String, Optimizer<?>> optimizers) {
        CRC32 crc = new CRC32();
        for (Param p : model.trainable()) {
            add(crc, p.array());
        }
        ByteBuffer counters = ByteBuffer.allocate(2 * Long.BYTES);
        for (Optimizer<?> optimizer : optimizers.values()) {
            OptimizerState state = optimizer.state();
            counters.clear();
            counters.putLong(state.step()).putLong(state.skippedSteps()).flip();
            crc.update(counters);
            state.tensors().values().forEach(tensor -> add(crc, tensor));
        }
        return crc.getValue();
    }

    private static void add(CRC32 crc, NDArray array) {
        crc.update(array.toByteBuffer(true).order(ByteOrder.nativeOrder()));
    }
}
