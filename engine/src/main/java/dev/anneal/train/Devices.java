package dev.anneal.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.util.cuda.CudaUtils;

/**
 * Where a run computes: a device is checked usable before anything trains, and a batch read on
 * another device (data loaded on the CPU, a model on a GPU) is copied to the model's.
 */
public final class Devices {
    private Devices() {
    }

    /**
     * Why DJL's engine cannot use {@code device}, naming what it looked for (the engine's CUDA
     * support, which DJL's CUDA natives of the {@code -Pcuda} build give; a CUDA runtime; the
     * GPU's index among those it sees), or null when it can.
     */
    public static String unusable(Device device) {
        if (!device.isGpu()) {
            return null;
        }
        Engine engine = Engine.getInstance();
        int gpus = engine.getGpuCount();
        if (device.getDeviceId() < gpus) {
            return null;
        }
        return !engine.hasCapability(StandardCapabilities.CUDA)
                ? "DJL's " + engine.getEngineName() + " engine was loaded without CUDA (these are its CPU natives:"
                + " build with -Pcuda for pytorch-native-cu128)"
                : !CudaUtils.hasCuda() ? "no CUDA runtime 12.8 or newer could be loaded"
                : "DJL sees " + gpus + " GPU" + (gpus == 1 ? "" : "s");
    }

    /** {@code list} on {@code device}: itself when every array is there already, else copies. */
    public static NDList on(NDList list, Device device) {
        boolean there = true;
        for (NDArray a : list) {
            there &= a.getDevice().equals(device);
        }
        if (there) {
            return list;
        }
        NDList moved = new NDList(list.size());
        for (NDArray a : list) {
            moved.add(a.getDevice().equals(device) ? a : a.toDevice(device, false));
        }
        return moved;
    }
}
