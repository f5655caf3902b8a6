package dev.anneal.state;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.anneal.config.Checks;
import dev.anneal.config.InvalidConfigException;
import dev.anneal.config.Shown;
import dev.anneal.optim.OptimizerState;
import dev.anneal.grad.LossScale;
import dev.anneal.schedule.Plateau;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * A {@link Checkpoint} on disk: raw tensors plus a JSON header, nothing that runs code on load.
 *
 * <pre>
 * "ANNEALC2" | tensor bytes ... | header (UTF-8 JSON) | header offset (int64) | header CRC-32 (int64) | "ANNEALC2"
 * </pre>
 *
 * (integers little-endian). The header lists every tensor by name with its type, shape, offset,
 * length and CRC-32; its own CRC-32 follows it. Nothing in a file is trusted: before a byte of
 * tensor memory is allocated, the header's checksum is checked, the header is parsed strictly
 * (no repeated keys, integers written as integers, no unknown fields), every value is range
 * checked, every type must be one of {@link #TYPES}, and the tensors' lengths must be their
 * shapes times their types' sizes and tile the bytes before the header exactly, so the memory
 * read never exceeds the file. Every problem is an {@link InvalidConfigException} with the field's
 * path ({@code checkpoint.header.optimizers["default"].step must be at least 0, got -3}).
 *
 * <p>Tensors are streamed one at a time, so writing needs no more memory than the largest tensor.
 * A write goes to a temporary file in the same directory, is forced to disk and renamed over the
 * target: a crash leaves the previous checkpoint or the new one, never half of one.
 */
public final class CheckpointFile {
    private static final byte[] MAGIC = "ANNEALC2".getBytes(StandardCharsets.US_ASCII);
    /** The format before the header had a checksum. */
    private static final byte[] FORMER_MAGIC = "ANNEALC1".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 3;
    private static final String FORMAT = "anneal-checkpoint";
    /** Header offset, header CRC-32, magic. */
    private static final int TRAILER = 8 + 8 + 8;
    /** A header of a million tensors takes about 200 MB; a larger one is not ours. */
    private static final int MAX_HEADER_BYTES = 256 << 20;
    /** Far beyond any model's tensors; bounds the work a crafted shape can ask for. */
    private static final int MAX_RANK = 32;
    /** The types a checkpoint holds. Not bfloat16: DJL 0.35.1 aborts the JVM creating one on the CPU. */
    private static final List<DataType> TYPE_LIST = List.of(DataType.FLOAT16, DataType.FLOAT32, DataType.FLOAT64);
    public static final Set<DataType> TYPES = Set.copyOf(TYPE_LIST);
    private static final List<String> TYPE_NAMES = TYPE_LIST.stream().map(DataType::name).toList();
    private static final Pattern TEMPORARY =
            Pattern.compile("\\.(.+)\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.tmp");

    private CheckpointFile() {
    }

    /**
     * Writes {@code checkpoint} to {@code file} atomically, replacing any file there. A tensor of
     * a type outside {@link #TYPES} is refused before anything is written.
     */
    public static void write(Path file, Checkpoint checkpoint) throws IOException {
        checkTypes(checkpoint);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // Not Files.createTempFile: its owner-only permissions would stay on the checkpoint.
        Path temp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeAll(out, ByteBuffer.wrap(MAGIC));
                JsonObject header = new JsonObject();
                header.addProperty("format", FORMAT);
                header.addProperty("version", VERSION);
                header.addProperty("byteOrder", ByteOrder.nativeOrder().toString());
                header.addProperty("epoch", checkpoint.epoch());
                header.addProperty("batch", checkpoint.batch());
                header.add("parameters", writeTensors(out, checkpoint.parameters()));
                JsonObject optimizers = new JsonObject();
                for (Map.Entry<String, OptimizerState> e : checkpoint.optimizers().entrySet()) {
                    OptimizerState state = e.getValue();
                    JsonObject o = new JsonObject();
                    o.addProperty("rule", state.optimizer());
                    o.addProperty("step", state.step());
                    o.addProperty("skippedSteps", state.skippedSteps());
                    // A string, as the plateaus' doubles: the reader takes numbers as Double.toString writes them.
                    o.addProperty("lossScale", Double.toString(state.lossScale().scale()));
                    o.addProperty("goodSteps", state.lossScale().goodSteps());
                    JsonObject updates = new JsonObject();
                    state.updates().forEach(updates::addProperty);
                    o.add("updates", updates);
                    o.add("tensors", writeTensors(out, state.tensors()));
                    optimizers.add(e.getKey(), o);
                }
                header.add("optimizers", optimizers);
                JsonObject plateaus = new JsonObject();
                checkpoint.plateaus().forEach((key, state) -> {
                    JsonObject p = new JsonObject();
                    // Doubles as strings: JSON has no infinity, and a plateau's "best" starts there.
                    state.forEach((k, v) -> p.addProperty(k, Double.toString(v)));
                    plateaus.add(key, p);
                });
                header.add("plateaus", plateaus);
                if (!checkpoint.settings().isEmpty()) {
                    JsonObject settings = new JsonObject();
                    checkpoint.settings().forEach((name, values) -> {
                        JsonObject o = new JsonObject();
                        values.forEach(o::addProperty);
                        settings.add(name, o);
                    });
                    header.add("settings", settings);
                }
                if (checkpoint.batching() != null) {
                    JsonObject batching = new JsonObject();
                    batching.addProperty("workers", checkpoint.batching().workers());
                    batching.addProperty("workerBatch", checkpoint.batching().workerBatch());
                    header.add("batching", batching);
                }
                long headerOffset = out.position();
                byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
                CRC32 crc = new CRC32();
                crc.update(headerBytes);
                writeAll(out, ByteBuffer.wrap(headerBytes));
                writeAll(out, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, headerOffset).putLong(8, crc.getValue()));
                writeAll(out, ByteBuffer.wrap(MAGIC));
                out.force(true);
            }
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
        forceDirectory(dir);
    }

    /**
     * Reads a checkpoint, its tensors created in {@code manager} (on the manager's device), after
     * checking all of the file that can be checked without them; each tensor is checked against
     * its CRC-32 before DJL sees it.
     */
    public static Checkpoint read(Path file, NDManager manager) throws IOException {
        try (FileChannel in = open(file)) {
            Header header = header(file, in);
            List<NDArray> created = new ArrayList<>();
            try {
                Map<String, NDArray> parameters = load(in, header.parameters, manager, created);
                Map<String, OptimizerState> optimizers = new LinkedHashMap<>();
                for (Map.Entry<String, OptimizerHeader> e : header.optimizers.entrySet()) {
                    OptimizerHeader o = e.getValue();
                    optimizers.put(e.getKey(), new OptimizerState(o.rule, o.step, o.skipped, o.lossScale, o.updates,
                            load(in, o.tensors, manager, created)));
                }
                return new Checkpoint(header.epoch, header.batch, parameters, optimizers, header.plateaus, header.settings,
                        header.batching);
            } catch (IOException | RuntimeException e) {
                created.forEach(NDArray::close);
                throw e;
            }
        }
    }

    /**
     * Checks a checkpoint as {@link #read} does, every tensor's CRC-32 included, without creating
     * any tensor: what a folder's {@code latest} asks of each candidate.
     */
    public static void verify(Path file) throws IOException {
        try (FileChannel in = open(file)) {
            Header header = header(file, in);
            List<Entry> all = new ArrayList<>(header.parameters);
            header.optimizers.values().forEach(o -> all.addAll(o.tensors));
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            for (Entry entry : all) {
                CRC32 crc = new CRC32();
                for (long done = 0; done < entry.length; ) {
                    chunk.clear().limit((int) Math.min(chunk.capacity(), entry.length - done));
                    readFully(in, chunk, entry.offset + done);
                    crc.update(chunk.flip());
                    done += chunk.limit();
                }
                checkCrc(entry, crc);
            }
        }
    }

    /**
     * The file a leftover temporary file of {@link #write} was to become, or null when
     * {@code fileName} is not one.
     */
    static String temporaryTarget(String fileName) {
        Matcher m = TEMPORARY.matcher(fileName);
        return m.matches() ? m.group(1) : null;
    }

    /** What a file is when it is not a regular one ("a directory"), or null when it is. */
    static String irregular(BasicFileAttributes attributes) {
        if (attributes.isRegularFile()) {
            return null;
        }
        return attributes.isDirectory() ? "a directory"
                : attributes.isSymbolicLink() ? "a symbolic link" : "a FIFO, socket or device";
    }

    /** Opens a regular file only: opening a FIFO would wait for a writer forever. */
    private static FileChannel open(Path file) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw fileProblem(file, "does not exist");
        }
        String irregular = irregular(attributes);
        if (irregular != null) {
            throw fileProblem(file, "is " + irregular + ", not a checkpoint file");
        }
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    private static void checkTypes(Checkpoint checkpoint) {
        Checks c = new Checks("checkpoint");
        checkpoint.parameters().forEach((name, array) ->
                checkType(c.at("parameters[" + Shown.quoted(name) + "]"), array));
        checkpoint.optimizers().forEach((name, state) -> state.tensors().forEach((key, array) ->
                checkType(c.at("optimizers[" + Shown.quoted(name) + "].tensors[" + Shown.quoted(key) + "]"), array)));
        c.throwIfAny();
    }

    private static void checkType(Checks c, NDArray array) {
        c.require(TYPES.contains(array.getDataType()), "", "is " + array.getDataType()
                + "; a checkpoint holds " + TYPE_LIST + " tensors only");
    }

    private static JsonArray writeTensors(FileChannel out, Map<String, NDArray> tensors) throws IOException {
        JsonArray entries = new JsonArray();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray array = e.getValue();
            ByteBuffer bytes = array.toByteBuffer();
            CRC32 crc = new CRC32();
            crc.update(bytes.duplicate());
            JsonObject entry = new JsonObject();
            entry.addProperty("name", e.getKey());
            entry.addProperty("dtype", array.getDataType().name());
            JsonArray shape = new JsonArray();
            for (long d : array.getShape().getShape()) {
                shape.add(d);
            }
            entry.add("shape", shape);
            entry.addProperty("offset", out.position());
            entry.addProperty("length", bytes.remaining());
            entry.addProperty("crc32", crc.getValue());
            writeAll(out, bytes);
            entries.add(entry);
        }
        return entries;
    }

    /** One tensor as the header describes it, every value checked against the file. */
    private record Entry(String name, String path, DataType type, Shape shape, long offset, int length, long crc) {
    }

    private record OptimizerHeader(String rule, long step, long skipped, LossScale.State lossScale,
                                   Map<String, Long> updates, List<Entry> tensors) {
    }

    private record Header(int epoch, long batch, List<Entry> parameters, Map<String, OptimizerHeader> optimizers,
                          Map<String, Map<String, Double>> plateaus, Map<String, Map<String, String>> settings,
                          Batching batching) {
    }

    /** The header, checked as a whole: its place, its checksum, its syntax, every value, the tensors' layout. */
    private static Header header(Path file, FileChannel in) throws IOException {
        long size = in.size();
        if (size < MAGIC.length + TRAILER) {
            throw fileProblem(file, "is " + size + " bytes, too short for a checkpoint (not one, or cut short)");
        }
        ByteBuffer start = readAt(in, 0, MAGIC.length);
        if (start.equals(ByteBuffer.wrap(FORMER_MAGIC))) {
            throw fileProblem(file, "was written by an earlier Anneal (format ANNEALC1, whose header has no checksum);"
                    + " this Anneal reads ANNEALC2: start the run afresh");
        }
        if (!start.equals(ByteBuffer.wrap(MAGIC))) {
            throw fileProblem(file, "does not start with ANNEALC2 (not an Anneal checkpoint)");
        }
        if (!readAt(in, size - MAGIC.length, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
            throw fileProblem(file, "does not end with ANNEALC2 (cut short, or damaged)");
        }
        ByteBuffer trailer = readAt(in, size - TRAILER, 16).order(ByteOrder.LITTLE_ENDIAN);
        long headerOffset = trailer.getLong(0);
        long headerEnd = size - TRAILER;
        if (headerOffset < MAGIC.length || headerOffset >= headerEnd) {
            throw fileProblem(file, "gives its header offset as " + headerOffset + ", outside the bytes "
                    + MAGIC.length + " to " + headerEnd + " (damaged)");
        }
        if (headerEnd - headerOffset > MAX_HEADER_BYTES) {
            throw new InvalidConfigException("checkpoint.header", "is " + (headerEnd - headerOffset)
                    + " bytes; a checkpoint header has at most " + MAX_HEADER_BYTES);
        }
        ByteBuffer bytes = readAt(in, headerOffset, (int) (headerEnd - headerOffset));
        CRC32 crc = new CRC32();
        crc.update(bytes.duplicate());
        if (crc.getValue() != trailer.getLong(8)) {
            throw new InvalidConfigException("checkpoint.header", "fails its CRC-32 check (changed or damaged)");
        }
        Object json;
        try {
            CharBuffer text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes);
            json = StrictJson.parse(text.toString());
        } catch (CharacterCodingException e) {
            throw new InvalidConfigException("checkpoint.header", "is not UTF-8 text: " + e);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("checkpoint.header", "is not strict JSON: " + StrictJson.problem(e));
        }
        return fields(json, headerOffset);
    }

    private static Header fields(Object json, long dataEnd) {
        Checks c = new Checks("checkpoint.header");
        HeaderFields h = HeaderFields.of(json, c);
        c.throwIfAny();
        // Which format first: the other fields mean nothing in another one.
        String format = h.string("format");
        c.require(format == null || format.equals(FORMAT), "format", "must be \"" + FORMAT + "\", got "
                + StrictJson.shown(format));
        Long version = h.integer("version", 0, Long.MAX_VALUE);
        c.require(version == null || version == VERSION, "version", "is " + version + "; this Anneal reads version "
                + VERSION);
        String order = h.string("byteOrder");
        c.require(order == null || order.equals(ByteOrder.nativeOrder().toString()), "byteOrder",
                "is " + StrictJson.shown(order) + "; this machine is " + ByteOrder.nativeOrder());
        c.throwIfAny();

        Long epoch = h.integer("epoch", 0, Integer.MAX_VALUE);
        Long batch = h.integer("batch", 0, Long.MAX_VALUE);
        Layout layout = new Layout(dataEnd);
        List<Entry> parameters = layout.tensors(h.array("parameters"), c.at("parameters"), "checkpoint.parameters");
        Map<String, OptimizerHeader> optimizers = new LinkedHashMap<>();
        HeaderFields all = h.object("optimizers");
        if (all != null) {
            all.all().forEach((name, value) -> {
                HeaderFields o = HeaderFields.of(value, all.checks().at("[" + Shown.quoted(name) + "]"));
                if (o != null) {
                    optimizers.put(name, optimizer(o, layout, "checkpoint.optimizers[" + Shown.quoted(name) + "]"));
                }
            });
        }
        Map<String, Map<String, Double>> plateaus = new LinkedHashMap<>();
        HeaderFields states = h.object("plateaus");
        if (states != null) {
            states.all().forEach((key, value) -> {
                Checks pc = states.checks().at("[" + Shown.quoted(key) + "]");
                HeaderFields p = HeaderFields.of(value, pc);
                if (p != null) {
                    Map<String, Double> state = new LinkedHashMap<>();
                    Plateau.STATE_KEYS.forEach(k -> state.put(k, p.decimal(k)));
                    p.noOthers();
                    if (!state.containsValue(null)) {
                        Plateau.checkState(state, pc);
                    }
                    plateaus.put(key, state);
                }
            });
        }
        Map<String, Map<String, String>> settings = new LinkedHashMap<>();
        HeaderFields described = h.optionalObject("settings"); // absent from checkpoints written before it
        if (described != null) {
            described.all().forEach((name, value) -> {
                HeaderFields o = HeaderFields.of(value, described.checks().at("[" + Shown.quoted(name) + "]"));
                if (o != null) {
                    Map<String, String> values = new LinkedHashMap<>();
                    o.all().forEach((key, text) -> values.put(key, HeaderFields.string(text, o.checks(), StrictJson.field(key))));
                    settings.put(name, values);
                }
            });
        }
        Batching batching = null;
        HeaderFields cut = h.optionalObject("batching"); // absent when unknown, and from checkpoints written before it
        if (cut != null) {
            Long workers = cut.integer("workers", 1, Integer.MAX_VALUE);
            Long workerBatch = cut.integer("workerBatch", 1, Integer.MAX_VALUE);
            cut.noOthers();
            if (workers != null && workerBatch != null) {
                batching = new Batching(workers.intValue(), workerBatch.intValue());
            }
        }
        h.noOthers();
        layout.end(c);
        c.throwIfAny();
        return new Header(epoch.intValue(), batch, parameters, optimizers, plateaus, settings, batching);
    }

    private static OptimizerHeader optimizer(HeaderFields o, Layout layout, String tensorPath) {
        Checks c = o.checks();
        String rule = o.string("rule");
        Long step = o.integer("step", 0, Long.MAX_VALUE);
        Long skipped = o.integer("skippedSteps", 0, Long.MAX_VALUE);
        Double scale = o.decimal("lossScale");
        Long good = o.integer("goodSteps", 0, Long.MAX_VALUE);
        if (scale != null) {
            // The scale is a float32: a value that is not one was not written by Anneal.
            c.require(scale.floatValue() == scale && scale > 0 && Double.isFinite(scale), "lossScale",
                    "must be a positive, finite float32 value, got " + scale);
        }
        Map<String, Long> updates = new LinkedHashMap<>();
        HeaderFields counts = o.object("updates");
        if (counts != null) {
            // A parameter is updated at most once a step.
            long most = step == null ? Long.MAX_VALUE : step;
            counts.all().forEach((name, v) -> updates.put(name,
                    HeaderFields.integer(v, counts.checks(), "[" + Shown.quoted(name) + "]", 0, most)));
        }
        List<Entry> tensors = layout.tensors(o.array("tensors"), c.at("tensors"), tensorPath + ".tensors");
        o.noOthers();
        return new OptimizerHeader(rule, step == null ? 0 : step, skipped == null ? 0 : skipped,
                new LossScale.State(scale == null ? 1f : scale.floatValue(), good == null ? 0 : good), updates, tensors);
    }

    /** The tensors' places: each starts where the one before ends, the first after the magic, the last at the header. */
    private static final class Layout {
        private final long dataEnd;
        private long next = MAGIC.length;

        Layout(long dataEnd) {
            this.dataEnd = dataEnd;
        }

        List<Entry> tensors(List<Object> entries, Checks c, String path) {
            List<Entry> tensors = new ArrayList<>();
            Set<String> names = new HashSet<>();
            if (entries == null) {
                return tensors;
            }
            for (int i = 0; i < entries.size(); i++) {
                HeaderFields t = HeaderFields.of(entries.get(i), c.at("[" + i + "]"));
                if (t == null) {
                    continue;
                }
                Checks tc = t.checks();
                String name = t.string("name");
                tc.require(name == null || names.add(name), "name", StrictJson.shown(name) + " appears twice");
                DataType type = type(t.string("dtype"), tc);
                Shape shape = shape(t.array("shape"), tc);
                Long offset = t.integer("offset", 0, Long.MAX_VALUE);
                Long length = t.integer("length", 0, Integer.MAX_VALUE);
                Long crc = t.integer("crc32", 0, 0xFFFF_FFFFL);
                t.noOthers();
                if (type != null && shape != null && length != null) {
                    long expected = bytes(shape, type);
                    if (expected < 0) {
                        tc.fail("shape", "is " + shape + ", more " + type + " bytes than a long can count");
                    } else {
                        tc.require(expected == length, "length", "must be " + expected + " bytes for a " + type
                                + " tensor of shape " + shape + ", got " + length);
                    }
                }
                if (offset != null && length != null) {
                    tc.require(offset == next, "offset", "must be " + next + ", where the "
                            + (next == MAGIC.length ? "tensor data starts" : "tensor before ends") + ", got " + offset);
                    tc.require(length <= dataEnd - offset, "length", "is " + length + " bytes from byte " + offset
                            + ", past the end of the tensor data at byte " + dataEnd);
                    // The next tensor is checked as if this one stood where it should, so one wrong
                    // offset is reported once, not again for every tensor after it.
                    next = length <= dataEnd - next ? next + length : dataEnd;
                }
                if (name != null && type != null && shape != null && offset != null && length != null && crc != null) {
                    tensors.add(new Entry(name, path + "[" + Shown.quoted(name) + "]", type, shape, offset,
                            length.intValue(), crc));
                }
            }
            return tensors;
        }

        void end(Checks c) {
            c.require(next == dataEnd, "", "places its tensors up to byte " + next + ", but the header starts at byte "
                    + dataEnd + " (bytes unaccounted for)");
        }
    }

    private static DataType type(String name, Checks c) {
        if (name == null) {
            return null;
        }
        if (!TYPE_NAMES.contains(name)) {
            c.fail("dtype", "must be one of " + TYPE_NAMES + ", got " + StrictJson.shown(name)
                    + (name.equals("BFLOAT16") ? " (DJL 0.35.1 aborts the JVM creating a bfloat16 tensor on the CPU)" : ""));
            return null;
        }
        return DataType.valueOf(name);
    }

    private static Shape shape(List<Object> dims, Checks c) {
        if (dims == null) {
            return null;
        }
        if (dims.size() > MAX_RANK) {
            c.fail("shape", "has " + dims.size() + " dimensions; a checkpoint tensor has at most " + MAX_RANK);
            return null;
        }
        long[] shape = new long[dims.size()];
        boolean ok = true;
        for (int i = 0; i < shape.length; i++) {
            Long d = HeaderFields.integer(dims.get(i), c, "shape[" + i + "]", 0, Long.MAX_VALUE);
            ok &= d != null;
            shape[i] = d == null ? 0 : d;
        }
        return ok ? new Shape(shape) : null;
    }

    /** The bytes a tensor of this shape and type takes, or -1 when they would not fit in a long. */
    private static long bytes(Shape shape, DataType type) {
        try {
            long n = type.getNumOfBytes();
            for (long d : shape.getShape()) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    private static Map<String, NDArray> load(FileChannel in, List<Entry> entries, NDManager manager,
                                             List<NDArray> created) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Entry entry : entries) {
            ByteBuffer bytes = ByteBuffer.allocateDirect(entry.length).order(ByteOrder.nativeOrder());
            readFully(in, bytes, entry.offset);
            bytes.flip();
            CRC32 crc = new CRC32();
            crc.update(bytes.duplicate());
            checkCrc(entry, crc);
            NDArray array = manager.create(bytes, entry.shape, entry.type);
            created.add(array);
            tensors.put(entry.name, array);
        }
        return tensors;
    }

    private static void checkCrc(Entry entry, CRC32 crc) {
        if (crc.getValue() != entry.crc) {
            throw new InvalidConfigException(entry.path, "fails its CRC-32 check (its bytes in the file are damaged)");
        }
    }

    private static ByteBuffer readAt(FileChannel in, long position, int length) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(length);
        readFully(in, bytes, position);
        return bytes.flip();
    }

    private static void readFully(FileChannel in, ByteBuffer into, long position) throws IOException {
        while (into.hasRemaining()) {
            if (in.read(into, position + into.position()) < 0) {
                throw new IOException("unexpected end of file at " + (position + into.position()));
            }
        }
    }

    private static void writeAll(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    /** Makes the rename itself durable; some systems cannot open a directory, and then it is skipped. */
    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The file itself is on disk; only the directory entry's durability is left to the system.
        }
    }

    private static InvalidConfigException fileProblem(Path file, String why) {
        return new InvalidConfigException("checkpoint.file", file + " " + why);
    }
}
