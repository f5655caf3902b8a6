package dev.anneal.dsl

import ai.djl.nn.Block
import dev.anneal.param.Selector

/** Parameters either selector picks: `group(bias or norm) { ... }`. */
public infix fun Selector.or(other: Selector): Selector = Selector.Or(this, other)

/** Parameters both selectors pick. */
public infix fun Selector.and(other: Selector): Selector = Selector.And(this, other)

/** Biases of linear and convolution layers. */
public val bias: Selector get() = Selector.bias()

/** Scales and shifts of normalization layers. */
public val norm: Selector get() = Selector.norm()

/** Tensors of at most one dimension (timm's no-decay rule). */
public val oneDimensional: Selector get() = Selector.oneDimensional()

/** Weights of convolution layers. */
public val convWeight: Selector get() = Selector.convWeight()

/** Parameters whose hierarchical name matches the shell-style [pattern]. */
public fun glob(pattern: String): Selector = Selector.glob(pattern)

/** Parameters whose hierarchical name contains a match of [pattern]. */
public fun regex(pattern: String): Selector = Selector.regex(pattern)

/** The parameters of [block], a part of the model, by identity: survives adding a layer before it. */
public fun parametersOf(block: Block): Selector = Selector.of(block)

/** Parameters whose name contains [fragment], ignoring case. */
public fun named(fragment: String): Selector = Selector.nameContains(fragment)
