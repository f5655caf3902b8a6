import dev.anneal.dsl.*

// Adam groups have no momentum: the compiler says so, and names what they take.
val spec = optimizer {
    adam(lr = 0.1)
    group("conv") { momentum = 0.9 } // ERROR: Adam has no momentum; its groups take
}
