import dev.anneal.dsl.*

// Prodigy steps by its own distance estimate: it has betas but no AMSGrad.
val spec = optimizer {
    prodigy(weightDecay = 0.01)
    group("bias") { amsgrad = true } // ERROR: unresolved reference 'amsgrad'
}
