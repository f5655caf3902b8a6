import dev.anneal.dsl.*

// ASGD has a learning rate, lambd, alpha and t0, not Adam's betas.
val spec = optimizer {
    asgd(lr = 1e-2, t0 = 100)
    group("head") { beta1 = 0.9 } // ERROR: Asgd has no beta1; its groups take
}
