package dev.anneal.support

import java.io.ByteArrayOutputStream
import java.io.DataOutputStream
import java.nio.file.Files
import java.nio.file.Path
import java.util.zip.GZIPOutputStream

/** An IDX file of unsigned bytes with the given dimensions. */
fun writeIdx(file: Path, dims: IntArray, data: ByteArray) {
    Files.write(file, idxBytes(dims, data))
}

/** The bytes of an IDX file: magic 0x000008nn, [dims] big-endian (any ints, even ones the data does not fill), then [data]. */
fun idxBytes(dims: IntArray, data: ByteArray, type: Int = 8): ByteArray {
    val bytes = ByteArrayOutputStream()
    DataOutputStream(bytes).use { out ->
        out.writeShort(0)
        out.writeByte(type)
        out.writeByte(dims.size)
        dims.forEach { out.writeInt(it) }
        out.write(data)
    }
    return bytes.toByteArray()
}

/** [bytes] gzip-compressed, as the `.gz` files of MNIST are. */
fun gzip(bytes: ByteArray): ByteArray {
    val out = ByteArrayOutputStream()
    GZIPOutputStream(out).use { it.write(bytes) }
    return out.toByteArray()
}
