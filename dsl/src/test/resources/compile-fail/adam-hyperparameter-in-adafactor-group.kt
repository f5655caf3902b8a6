import dev.anneal.dsl.*

// Adafactor has no first moment: beta1 belongs to the Adam family.
val spec = optimizer {
    adafactor()
    group("head") { beta1 = 0.9 } // ERROR: unresolved reference 'beta1'
}
