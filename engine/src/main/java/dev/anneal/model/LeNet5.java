package dev.anneal.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

/**
 * LeNet-5 as MindSpore's training tutorial builds it (two 5x5 convolutions with ReLU and 2x2 max
 * pooling, then 120-84-10 fully connected layers with ReLU). The tutorial resizes the 28x28
 * images to 32x32; padding the first convolution by 2 gives the same feature-map sizes without
 * resizing.
 */
public final class LeNet5 {
    private LeNet5() {
    }

    public static SequentialBlock create() {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2)).setFilters(6).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(16).build())
                .add(Activation::relu)
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(120).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(84).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(10).build());
    }

    /** The input shape of one batch: (batch, 1, 28, 28). */
    public static Shape inputShape(int batchSize) {
        return new Shape(batchSize, 1, 28, 28);
    }
}
