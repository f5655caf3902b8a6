import dev.anneal.dsl.*

// Adagrad has no momentum and no alpha: those are RMSprop's.
val spec = optimizer {
    adagrad(lr = 0.01, lrDecay = 1e-4)
    group("embedding") {
        momentum = 0.9 // ERROR: Adagrad has no momentum; its groups take
        alpha = 0.9 // ERROR: Adagrad has no alpha; its groups take
    }
}
