/**
 * Reference networks that the samples, the benchmarks and the tests share: LeNet-5 for
 * Fashion-MNIST.
 */
package dev.anneal.model;
