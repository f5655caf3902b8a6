import dev.anneal.dsl.*

// Clipping is set for the whole optimizer, not inside a group's values.
val spec = optimizer {
    adamW(lr = 1e-3)
    group("conv") { clipGradNorm(1.0) } // ERROR: cannot be called in this context with an implicit receiver
}
