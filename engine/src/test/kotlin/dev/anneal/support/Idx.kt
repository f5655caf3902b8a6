package dev.anneal.support

import java.io.DataOutputStream
import java.nio.file.Files
import java.nio.file.Path

/** An IDX file of unsigned bytes with the given dimensions. */
fun writeIdx(file: Path, dims: IntArray, data: ByteArray) {
    DataOutputStream(Files.newOutputStream(file)).use { out ->
        out.writeShort(0)
        out.writeByte(8)
        out.writeByte(dims.size)
        dims.forEach { out.writeInt(it) }
        out.write(data)
    }
}
