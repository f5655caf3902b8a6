import dev.anneal.dsl.*

// RAdam has Adam's betas and eps, not RMSprop's centering.
val spec = optimizer {
    rAdam(lr = 1e-3)
    group("head") { centered = true } // ERROR: unresolved reference 'centered'
}
