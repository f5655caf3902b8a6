import dev.anneal.dsl.*

// Adam groups have no momentum. The name then resolves to the momentum(...) optimizer
// function of the enclosing scope, hence "variable expected" rather than an unresolved name.
val spec = optimizer {
    adam(lr = 0.1)
    group("conv") { momentum = 0.9 } // ERROR: function invocation 'momentum(...)' expected // ERROR: variable expected
}
