package dev.anneal.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The machine's copy bandwidth as the fused path would see it: one buffer copied into another
 * on all cores, in the chunks the optimizer uses, counting bytes read plus bytes written. Beside
 * it, a pass that only reads a buffer, as the fused path reads gradients for a check or a norm:
 * into a thread's array {@value #BLOCK} floats at a time, added into lanes the thread keeps so
 * that the read cannot be dropped.
 */
final class CopyBandwidth {
    private static final int CHUNK = 1 << 15;
    private static final int BLOCK = 8192;

    private CopyBandwidth() {
    }

    /** The copy row beside a layout's steps: one copy of {@code floats} elements per step, so it sees the same machine. */
    static Stepper stepper(int floats) {
        FloatBuffer source = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        FloatBuffer target = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        int chunks = (floats + CHUNK - 1) / CHUNK;
        return new Stepper() {
            @Override
            public double step() {
                long start = System.nanoTime();
                copy(source, target, floats, chunks);
                return (System.nanoTime() - start) / 1e6;
            }

            @Override
            public void close() {
            }
        };
    }

    /** The read row beside a layout's steps: one read of {@code floats} elements per step. */
    static Stepper reader(int floats) {
        FloatBuffer source = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        int chunks = (floats + CHUNK - 1) / CHUNK;
        ThreadLocal<float[][]> arrays = ThreadLocal.withInitial(() -> new float[2][BLOCK]);
        return new Stepper() {
            @Override
            public double step() {
                long start = System.nanoTime();
                IntStream.range(0, chunks).parallel().forEach(c -> {
                    float[] block = arrays.get()[0];
                    float[] lanes = arrays.get()[1];
                    int to = Math.min(floats, (c + 1) * CHUNK);
                    for (int from = c * CHUNK; from < to; from += BLOCK) {
                        int n = Math.min(BLOCK, to - from);
                        source.get(from, block, 0, n);
                        for (int i = 0; i < n; i++) {
                            lanes[i] += block[i] * 0f;
                        }
                    }
                });
                return (System.nanoTime() - start) / 1e6;
            }

            @Override
            public void close() {
            }
        };
    }

    private static void copy(FloatBuffer source, FloatBuffer target, int floats, int chunks) {
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = c * CHUNK;
            target.put(from, source, from, Math.min(CHUNK, floats - from));
        });
    }

    /**
     * The median GB/s of {@code rounds} copies of {@code floats} elements, well beyond the
     * caches, after as many copies again to warm up (the first copies run before the JIT has
     * compiled the loop and read a third of the later figure).
     */
    static double measure(int floats, int rounds) {
        FloatBuffer source = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        FloatBuffer target = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        float[] ramp = new float[CHUNK];
        for (int i = 0; i < CHUNK; i++) {
            ramp[i] = i;
        }
        for (int from = 0; from < floats; from += CHUNK) {
            source.put(from, ramp, 0, Math.min(CHUNK, floats - from));
        }
        int chunks = (floats + CHUNK - 1) / CHUNK;
        double[] gbps = new double[rounds];
        for (int r = -rounds; r < rounds; r++) {
            long start = System.nanoTime();
            copy(source, target, floats, chunks);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (r >= 0) {
                gbps[r] = 2.0 * 4 * floats / seconds / 1e9;
            }
        }
        Arrays.sort(gbps);
        return gbps[rounds / 2];
    }
}
