import dev.anneal.dsl.*

// Schedule-Free SGD keeps no second moment: beta2 belongs to Schedule-Free AdamW.
val spec = optimizer {
    scheduleFreeSgd(lr = 0.5)
    group("head") { beta2 = 0.99 } // ERROR: ScheduleFreeSgd has no beta2; its groups take
}
