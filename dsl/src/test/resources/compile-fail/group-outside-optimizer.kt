import dev.anneal.dsl.*

// group { } exists only inside optimizer { }.
fun groups() {
    group("conv") { } // ERROR: unresolved reference 'group'
}
