import dev.anneal.dsl.*

// AdaBelief's moments start at zero: it has no initial accumulator value.
val spec = optimizer {
    adaBelief(lr = 1e-3)
    group("head") { initialAccumulatorValue = 0.1 } // ERROR: AdaBelief has no initialAccumulatorValue; its groups take
}
