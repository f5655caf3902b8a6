import dev.anneal.dsl.*

// Schedule-Free AdamW keeps no first moment, so no AMSGrad: that is PyTorch's Adam.
val spec = optimizer {
    scheduleFreeAdamW(lr = 1e-3)
    group("head") { amsgrad = true } // ERROR: unresolved reference 'amsgrad'
}
