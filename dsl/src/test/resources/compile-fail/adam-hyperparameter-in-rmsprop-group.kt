import dev.anneal.dsl.*

// RMSprop groups have alpha, not Adam's betas.
val spec = optimizer {
    rmsProp(lr = 0.01, centered = true)
    group("conv") { beta2 = 0.99 } // ERROR: RmsProp has no beta2; its groups take
}
