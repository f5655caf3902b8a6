import dev.anneal.dsl.*

// AdEMAMix has no l1 penalty: that is FTRL's and ProximalAdagrad's.
val spec = optimizer {
    ademamix(lr = 1e-3, alpha = 5.0, alphaWarmup = 1000)
    group("head") { l1 = 0.01 } // ERROR: unresolved reference 'l1'
}
