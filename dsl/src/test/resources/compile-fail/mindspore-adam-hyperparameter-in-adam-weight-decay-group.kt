import dev.anneal.dsl.*

// AdamWeightDecay has no Nesterov variant; that is MindSpore's Adam.
val spec = optimizer {
    adamWeightDecay(lr = 1e-3, weightDecay = 0.01)
    group("encoder") { nesterov = true } // ERROR: AdamWeightDecay has no nesterov; its groups take
}
