import dev.anneal.dsl.*

// Adamax has Adam's betas but no alpha; Adadelta has rho but no betas.
val adamax = optimizer {
    adamax(lr = 2e-3)
    group("head") { alpha = 0.9 } // ERROR: unresolved reference 'alpha'
}

val adadelta = optimizer {
    adadelta(rho = 0.95)
    group("head") { beta1 = 0.9 } // ERROR: unresolved reference 'beta1'
}
