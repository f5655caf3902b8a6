import dev.anneal.dsl.*

// adam(...) fixes the block's receiver to OptimizerScope<AdamGroup>, so sgd(...) does not apply.
val spec = optimizer {
    adam(lr = 0.1)
    sgd(lr = 0.1) // ERROR: argument type mismatch: actual type is 'AdamGroup', but 'SgdGroup' was expected
}
