/**
 * Not API: helpers that several packages share, the element loops and rounding helpers of the
 * optimizer stages in {@code dev.anneal.optim} and {@code dev.anneal.grad}, and the files that
 * {@code run}, {@code schedule} and {@code train} replace whole. Public only because those are
 * several packages; names and signatures here change without notice.
 */
package dev.anneal.internal;
