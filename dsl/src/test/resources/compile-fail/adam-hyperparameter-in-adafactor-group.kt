import dev.anneal.dsl.*

// Adafactor has no first moment: beta1 belongs to the Adam family.
val spec = optimizer {
    adafactor()
    group("head") { beta1 = 0.9 } // ERROR: Adafactor has no beta1; its groups take
}
