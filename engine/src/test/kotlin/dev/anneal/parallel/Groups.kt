package dev.anneal.parallel

import java.net.InetAddress
import java.net.InetSocketAddress
import java.time.Duration
import java.util.concurrent.Callable
import java.util.concurrent.ExecutionException
import java.util.concurrent.Executors

/** [n] TCP ranks on the loopback, connected concurrently as separate processes would be. */
fun tcpGroup(n: Int, timeout: Duration = Duration.ofSeconds(20), token: String = "secret",
             beforeConnect: (List<InetSocketAddress>) -> Unit = {}): List<Collective> {
    val loopback = InetAddress.getLoopbackAddress()
    val sockets = (0 until n).map { TcpCollective.listen(loopback) }
    val addresses = sockets.map { InetSocketAddress(loopback, it.localPort) }
    beforeConnect(addresses)
    return onEach((0 until n).toList()) { r -> TcpCollective.connect(r, addresses, sockets[r], token, timeout) }
}

/** Runs [work] on each of [items] at once, each on its own thread; the results in order, or the first failure. */
fun <I, T> onEach(items: List<I>, work: (I) -> T): List<T> {
    val pool = Executors.newFixedThreadPool(items.size)
    try {
        return items.map { item -> pool.submit(Callable { work(item) }) }.map {
            try {
                it.get()
            } catch (e: ExecutionException) {
                throw e.cause!!
            }
        }
    } finally {
        pool.shutdownNow()
    }
}

/** [inner], counting the sums of more than [scalars] values: the gradient exchanges, not the losses'. */
class CountingSums(private val inner: Collective, private val scalars: Int = 2) : Collective by inner {
    var gradientSums = 0

    override fun sum(values: FloatArray) {
        if (values.size > scalars) {
            gradientSums++
        }
        inner.sum(values)
    }
}
