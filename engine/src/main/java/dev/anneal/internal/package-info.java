/**
 * Not API: the element loops and rounding helpers that the optimizer stages in
 * {@code dev.anneal.optim} and {@code dev.anneal.grad} share. Public only because those are two
 * packages; names and signatures here change without notice.
 */
package dev.anneal.internal;
