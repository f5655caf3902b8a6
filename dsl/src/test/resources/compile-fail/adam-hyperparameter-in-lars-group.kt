import dev.anneal.dsl.*

// LARS wraps Momentum: it has no second moment, so beta2 belongs to the Adam family.
val spec = optimizer {
    lars(lr = 0.1, momentum = 0.9)
    group("head") { beta2 = 0.99 } // ERROR: Lars has no beta2; its groups take
}
