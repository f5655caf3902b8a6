import dev.anneal.dsl.*

// L-BFGS scales its steps by its own curvature history: it keeps no moments, so no beta1.
val spec = optimizer {
    lbfgs(strongWolfe = true)
    group("head") { beta1 = 0.9 } // ERROR: Lbfgs has no beta1; its groups take
}
