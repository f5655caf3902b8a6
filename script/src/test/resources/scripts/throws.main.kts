import dev.anneal.dsl.*

println("before: " + args.toList())
val spec = optimizer { adam(lr = -1.0) }
