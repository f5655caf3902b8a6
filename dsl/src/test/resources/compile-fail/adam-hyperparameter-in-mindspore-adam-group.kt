import dev.anneal.dsl.*

// MindSpore's Adam has no AMSGrad: that is PyTorch's Adam.
val spec = optimizer {
    mindSporeAdam(lr = 1e-3, nesterov = true)
    group("head") { amsgrad = true } // ERROR: unresolved reference 'amsgrad'
}
