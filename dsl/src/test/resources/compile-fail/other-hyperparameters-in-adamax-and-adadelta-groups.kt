import dev.anneal.dsl.*

// Adamax has Adam's betas but no alpha; Adadelta has rho but no betas.
val adamax = optimizer {
    adamax(lr = 2e-3)
    group("head") { alpha = 0.9 } // ERROR: Adamax has no alpha; its groups take
}

val adadelta = optimizer {
    adadelta(rho = 0.95)
    group("head") { beta1 = 0.9 } // ERROR: Adadelta has no beta1; its groups take
}
