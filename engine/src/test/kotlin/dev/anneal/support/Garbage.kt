package dev.anneal.support

/**
 * Runs the garbage collector and gives the cleaner thread time to free the direct buffers it
 * found unreachable: what a loop's other threads may cause between a forward pass and its backward.
 */
fun collectGarbage() = repeat(2) {
    System.gc()
    Thread.sleep(30)
}
