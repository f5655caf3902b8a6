/**
 * The stages of an optimizer's chain around its update rule: gradient stages (maximize, L2 weight
 * decay, loss-scale division) and parameter stages (decoupled weight decay). Each is one
 * {@link dev.anneal.optim.Stage} with its rule and source in its doc comment.
 */
package dev.anneal.grad;
