package dev.anneal.parallel

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import java.io.DataOutputStream
import java.net.Socket
import java.time.Duration
import java.util.Random

class CollectiveSpec : FunSpec({
    fun inputs(n: Int, length: Int) = (0 until n).map { r -> Random(r.toLong()).let { g -> FloatArray(length) { g.nextGaussian().toFloat() * 1e3f } } }

    test("TCP sums, broadcasts and gathers give every rank the bits the in-process collective gives, for lengths not divisible by the ranks") {
        for (n in listOf(2, 3, 4)) {
            val tcp = tcpGroup(n)
            val local = InProcessCollective.group(n, Duration.ofSeconds(20))
            for (length in listOf(0, 1, n - 1, 1001, 262_147)) {
                val given = inputs(n, length)
                val overTcp = onEach(tcp) { c -> given[c.rank()].clone().also { c.sum(it) } }
                val inProcess = onEach(local) { c -> given[c.rank()].clone().also { c.sum(it) } }
                val expected = FloatArray(length) { i -> (1 until n).fold(given[0][i]) { acc, r -> acc + given[r][i] } }
                (overTcp + inProcess).forEach { it.toList() shouldContainExactly expected.toList() }
            }
            onEach(tcp) { c -> inputs(n, 17)[c.rank()].also { c.broadcast(it, n - 1) } }.forEach {
                it.toList() shouldContainExactly inputs(n, 17)[n - 1].toList()
            }
            onEach(tcp) { c -> c.gather(100L + c.rank()) }.forEach { it.toList() shouldContainExactly (0 until n).map { 100L + it } }
            onEach(tcp + local) { c -> c.barrier() }
            tcp.forEach { it.close() }
            local.forEach { it.close() }
        }
    }

    test("a stranger without the token is turned away and the ranks still connect") {
        val group = tcpGroup(2) { addresses ->
            Thread {
                Socket(addresses[0].address, addresses[0].port).use { s ->
                    DataOutputStream(s.getOutputStream()).apply { writeInt(0x414E4E43); writeUTF("guess"); writeInt(1); writeInt(2); flush() }
                    s.getInputStream().read() shouldBe -1 // closed unanswered
                }
            }.start()
            Thread.sleep(200)
        }
        onEach(group) { c -> floatArrayOf(1f + c.rank()).also { c.sum(it) } }.forEach { it.toList() shouldContainExactly listOf(3f) }
        group.forEach { it.close() }
    }

    test("a rank that leaves fails the others' next operation, naming it") {
        val group = tcpGroup(3)
        group[2].close()
        val error = shouldThrow<CollectiveException> { onEach(group.take(2)) { c -> c.sum(FloatArray(10)) } }
        error.failedRank() shouldBe 2
        error.message shouldContain "rank 2"
        error.message shouldContain "it failed or stopped"
        group.forEach { it.close() }
    }

    test("replicas calling different operations fail at once, and one names the rank and both operations") {
        val group = tcpGroup(2)
        val errors = onEach(group) { c -> runCatching { c.sum(FloatArray(10 + c.rank())) }.exceptionOrNull() }
        errors.forEach { it.shouldBeInstanceOf<CollectiveException>() }
        // The first to see the other's message names the mismatch and closes; the other may then
        // find its connection closed before that message's own reply reached it.
        val named = errors.mapNotNull { it?.message }.filter { "not running the same program" in it }
        named.shouldNotBeEmpty()
        named.first() shouldContain "of 10 values"
        named.first() shouldContain "of 11 values"
        group.forEach { it.close() }
    }

    test("a rank that does not answer within the timeout is named") {
        val group = tcpGroup(2, timeout = Duration.ofMillis(500))
        val error = shouldThrow<CollectiveException> { group[0].sum(FloatArray(4)) }
        error.failedRank() shouldBe 1
        error.message shouldContain "waited PT0.5S for rank 1"
        group.forEach { it.close() }
    }

    test("in process: a rank that does not arrive within the timeout is named, and the group is broken for all") {
        val group = InProcessCollective.group(2, Duration.ofMillis(300))
        val error = shouldThrow<CollectiveException> { group[0].sum(FloatArray(4)) }
        error.failedRank() shouldBe 1
        error.message shouldContain "ranks [1] did not reach operation 1"
        shouldThrow<CollectiveException> { group[1].sum(FloatArray(4)) }.message shouldContain "did not reach"
    }

    test("a rank that never connects is named when the others give up; a closed collective refuses to operate") {
        val loopback = java.net.InetAddress.getLoopbackAddress()
        val own = TcpCollective.listen(loopback)
        val addresses = listOf(java.net.InetSocketAddress(loopback, own.localPort), java.net.InetSocketAddress(loopback, 9))
        shouldThrow<java.io.IOException> { TcpCollective.connect(0, addresses, own, "secret", Duration.ofMillis(500)) }
            .message shouldContain "rank 0 could not link to ranks [1] within PT0.5S"
        val group = tcpGroup(2)
        group.forEach { it.close() }
        shouldThrow<CollectiveException> { group[0].sum(FloatArray(2)) }.message shouldContain "rank 0's collective is closed"
    }

    test("in process: a sum met by a broadcast of the same length is named") {
        val group = InProcessCollective.group(2, Duration.ofSeconds(5))
        val error = shouldThrow<CollectiveException> {
            onEach(group) { c -> if (c.rank() == 0) c.sum(FloatArray(3)) else c.broadcast(FloatArray(3), 0) }
        }
        error.message shouldContain "not running the same program"
    }
})
