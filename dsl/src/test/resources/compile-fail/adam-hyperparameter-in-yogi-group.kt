import dev.anneal.dsl.*

// Yogi has no weight decay or AMSGrad; its moments start at initialAccumulatorValue.
val spec = optimizer {
    yogi(lr = 1e-2)
    group("head") { amsgrad = true } // ERROR: unresolved reference 'amsgrad'
}
