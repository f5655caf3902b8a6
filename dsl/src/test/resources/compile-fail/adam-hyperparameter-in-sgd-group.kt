import dev.anneal.dsl.*

// SGD groups have no beta1, and nothing else in scope has that name.
val spec = optimizer {
    sgd(lr = 0.1, momentum = 0.9)
    group("conv") { beta1 = 0.95 } // ERROR: Sgd has no beta1; its groups take
}
