package dev.anneal.data;

import ai.djl.ndarray.types.Shape;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a data set knows about its examples without making a batch. A training loop checks it
 * against the model before the first step, so that images of the wrong size or labels outside
 * the model's classes are refused naming the file, not reported by libtorch in the middle of an
 * epoch.
 */
public interface Examples {
    /** Where the examples come from, for messages: the file names. */
    String source();

    /** How many examples there are. */
    long size();

    /** One example's data shape, without the batch dimension; empty when a transform may change it. */
    Optional<Shape> exampleShape();

    /** The largest label plus one: the classes a model needs for the labels to be class indices. */
    long classesNeeded();

    /** Examples per batch when the sampler takes a fixed number; empty otherwise. */
    OptionalInt batchSize();

    /** Whether a batch size larger than the data was asked for, which makes each epoch one smaller batch. */
    boolean smallerBatchAllowed();
}
