import dev.anneal.dsl.*

// Loss scaling belongs to the whole optimizer: one scale multiplies the one loss.
val spec = optimizer {
    adam(lr = 1e-3)
    group("head") { lossScale(dynamicLossScale()) } // ERROR: cannot be called in this context with an implicit receiver
}
