import dev.anneal.dsl.*

// Schedule-Free replaces momentum with its average: beta1 is the interpolation, there is no momentum.
val spec = optimizer {
    scheduleFreeAdamW(lr = 1e-3)
    group("head") { momentum = 0.9 } // ERROR: unresolved reference 'momentum'
}
