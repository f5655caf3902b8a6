import dev.anneal.dsl.*

// Adan has three betas and no AMSGrad.
val spec = optimizer {
    adan(lr = 1e-3)
    group("head") { amsgrad = true } // ERROR: unresolved reference 'amsgrad'
}
