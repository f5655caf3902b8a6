import dev.anneal.dsl.*

// NAdam has Adam's betas and a momentum decay, not ASGD's averaging start.
val spec = optimizer {
    nAdam(lr = 2e-3, momentumDecay = 0.004)
    group("head") { t0 = 100 } // ERROR: unresolved reference 't0'
}
