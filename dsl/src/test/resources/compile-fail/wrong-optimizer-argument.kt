import dev.anneal.dsl.*

// adam(...) takes Adam's hyperparameters only.
val spec = optimizer {
    adam(lr = 0.1, momentum = 0.9) // ERROR: no parameter with name 'momentum' found
}
