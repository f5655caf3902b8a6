package dev.anneal.state

import com.google.gson.JsonObject
import com.google.gson.JsonParser
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import java.util.zip.CRC32

/**
 * A checkpoint file taken apart, to craft bad ones: [data] is everything before the header (the
 * magic and the tensors), [header] the header to edit. [bytes] puts them back together with the
 * header's checksum recomputed, so a crafted value reaches the checks behind the checksum, as it
 * would from an attacker who recomputes it.
 */
class CheckpointBytes(val data: ByteArray, val header: JsonObject) {
    /** The file with [headerText] as its header and a valid trailer for it. */
    fun bytes(headerText: String = header.toString(), data: ByteArray = this.data): ByteArray {
        val h = headerText.toByteArray(Charsets.UTF_8)
        return bytes(data, h, crc(h))
    }

    companion object {
        const val TRAILER = 24
        val MAGIC = "ANNEALC2".toByteArray(Charsets.US_ASCII)

        fun of(file: Path): CheckpointBytes {
            val all = Files.readAllBytes(file)
            val offset = ByteBuffer.wrap(all, all.size - TRAILER, 8).order(ByteOrder.LITTLE_ENDIAN).long.toInt()
            val header = String(all, offset, all.size - TRAILER - offset, Charsets.UTF_8)
            return CheckpointBytes(all.copyOf(offset), JsonParser.parseString(header).asJsonObject)
        }

        /** Magic and tensors, then [header] as given, with [headerCrc] in the trailer whether right or not. */
        fun bytes(data: ByteArray, header: ByteArray, headerCrc: Long): ByteArray {
            val trailer = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(data.size.toLong()).putLong(headerCrc)
            return data + header + trailer.array() + MAGIC
        }

        fun crc(bytes: ByteArray): Long = CRC32().also { it.update(bytes) }.value
    }
}
