import dev.anneal.dsl.*

// Muon keeps one momentum buffer and no second moment: beta2 belongs to the Adam family.
val spec = optimizer {
    muon(lr = 0.02)
    group("head") { beta2 = 0.99 } // ERROR: Muon has no beta2; its groups take
}
