/** Checkpoints: a run's parameters, optimizer state, plateau state and position, saved and restored exactly. */
package dev.anneal.state;
