import dev.anneal.dsl.*

// Adagrad has no momentum and no alpha: those are RMSprop's. (momentum is also MindSpore's
// optimizer function, so the compiler names that instead of an unresolved reference.)
val spec = optimizer {
    adagrad(lr = 0.01, lrDecay = 1e-4)
    group("embedding") {
        momentum = 0.9 // ERROR: function invocation 'momentum(...)' expected
        alpha = 0.9 // ERROR: unresolved reference 'alpha'
    }
}
