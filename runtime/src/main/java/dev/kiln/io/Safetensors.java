package dev.kiln.io;

import dev.kiln.Kiln;
import dev.kiln.Shape;
import dev.kiln.Tensor;
import dev.kiln.internal.TensorAccess;
import dev.kiln.io.SafetensorsException.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.UnaryOperator;

/**
 * Reads and writes state dicts as <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * files, the format of {@code safetensors.torch.save_file} and {@code load_file}: 8 bytes holding the
 * header length N (unsigned, little-endian), N bytes of JSON header, then the tensors' raw
 * little-endian bytes, row-major and contiguous.
 *
 * <p>The header maps each tensor key to {@code {"dtype": "F32", "shape": [2, 3], "data_offsets":
 * [begin, end]}}, offsets counted from the first byte after the header; an optional
 * {@code "__metadata__"} key holds a map of strings to strings. Keys are stored as given, so a Kiln
 * state dict saved here ({@code "fc1.weight"}, {@code "fc1.bias"}, weights as {@code [out, in]})
 * loads into the equivalent {@code torch.nn} model with {@code load_state_dict(load_file(path))}, and a
 * file written by PyTorch loads into the Kiln model.
 *
 * <h2>Types</h2>
 * Kiln writes float32 as {@code F32}, float64 as {@code F64}, int64 as {@code I64} and bool as
 * {@code BOOL} (one byte per element, 0 or 1). It reads those back as the same types, and widens what
 * PyTorch may write in narrower types: {@code F16} and {@code BF16} become float32 (exactly,
 * subnormals, infinities and NaN included), {@code I8}, {@code U8}, {@code I16}, {@code U16},
 * {@code I32} and {@code U32} become int64. A widened tensor is saved back in its wider type. The
 * 8-bit float, complex and {@code U64} types are rejected with
 * {@link SafetensorsException.Problem#UNSUPPORTED_DTYPE}.
 *
 * <h2>Writing</h2>
 * The bytes are those the reference writer ({@code safetensors.torch.save_file}, for the same
 * tensors and metadata) produces: tensors ordered by dtype alignment, largest first (I64, F64, F32,
 * BOOL), then by key in the order of its UTF-8 bytes; compact JSON with {@code __metadata__} first,
 * then each tensor's {@code dtype}, {@code shape} and {@code data_offsets}; the header padded with
 * spaces to a multiple of 8 bytes. Non-contiguous tensors (views, transposes) are written in
 * row-major order of their elements; the reference writer would refuse them. Metadata keys, which
 * the reference writer puts in no defined order, are written in ascending UTF-8 order, and empty
 * metadata is left out of the header altogether, as when {@code save_file} is given none.
 *
 * <p>Saving is atomic: the bytes go to a temporary file in the target's directory, which is forced
 * to disk and then moved over the target in one step. A save that fails at any point (an I/O error,
 * a full disk, an interrupted thread) leaves the previous file as it was and no temporary file
 * behind. If the target is a symbolic link, the link itself is replaced.
 *
 * <h2>Reading</h2>
 * A load reads and checks the whole header before it allocates any tensor: a header length below
 * {@link #MAX_HEADER_LENGTH} that fits the file; a UTF-8 JSON object without duplicate keys; known
 * dtypes, shapes of non-negative integers that fit a Kiln tensor, and offsets whose byte count is the
 * shape's element count times the element size; offsets that cover the data section exactly,
 * without overlaps or holes, and nothing past it. Only then is data read, so no size stated by the
 * header is allocated unless the file really holds that many bytes. Every problem is a
 * {@link SafetensorsException} naming the file, the tensor and what was expected against what was
 * found. Fields of a tensor entry that the format does not define are ignored, as the reference
 * reader ignores them.
 *
 * <p>All methods are thread-safe; a file being written by another process while it is read gives
 * undefined (but never unchecked) results.
 */
public final class Safetensors {
    /** The largest header accepted, in bytes: the reference implementation's limit (100 MB). */
    public static final long MAX_HEADER_LENGTH = 100_000_000L;

    /** Keys ordered by their UTF-8 bytes (that is, by code point), as the reference writer sorts them. */
    static final Comparator<String> UTF8_ORDER = (a, b) -> {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i), y = b.codePointAt(j);
            if (x != y) {
                return Integer.compare(x, y);
            }
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    };

    private static final int CHUNK = 1 << 20;
    private static final TensorAccess ACCESS = TensorAccess.get();

    private Safetensors() {}

    // ---------------------------------------------------------------------------------------------
    // Saving

    /**
     * Saves {@code tensors} to {@code file} with no metadata, atomically (see the class comment).
     *
     * @throws IllegalArgumentException if a key is {@code "__metadata__"} or not valid Unicode
     * @throws IOException if the file cannot be written; the previous file is then unchanged
     */
    public static void save(Map<String, ? extends Tensor> tensors, Path file) throws IOException {
        save(tensors, Map.of(), file);
    }

    /**
     * Saves {@code tensors} and the string map {@code metadata} (the header's {@code __metadata__};
     * left out when empty) to {@code file}, atomically (see the class comment).
     *
     * @throws IllegalArgumentException if a key is {@code "__metadata__"} or not valid Unicode
     * @throws IOException if the file cannot be written; the previous file is then unchanged
     */
    public static void save(Map<String, ? extends Tensor> tensors, Map<String, String> metadata, Path file)
            throws IOException {
        save(tensors, metadata, file, UnaryOperator.identity());
    }

    /** As {@link #save(Map, Map, Path)}, writing through {@code channel.apply(fileChannel)}: tests inject failures. */
    static void save(Map<String, ? extends Tensor> tensors, Map<String, String> metadata, Path file,
            UnaryOperator<WritableByteChannel> channel) throws IOException {
        Objects.requireNonNull(file, "file");
        Layout layout = layout(tensors, metadata);
        writeAtomically(file, out -> layout.writeTo(channel.apply(out)));
    }

    /** The bytes of a safetensors file holding {@code tensors} with no metadata. */
    public static byte[] toBytes(Map<String, ? extends Tensor> tensors) {
        return toBytes(tensors, Map.of());
    }

    /**
     * The bytes of a safetensors file holding {@code tensors} and {@code metadata}, as {@link #save}
     * writes them.
     *
     * @throws IllegalArgumentException if a key is {@code "__metadata__"} or not valid Unicode, or the
     *     file would not fit a byte array
     */
    public static byte[] toBytes(Map<String, ? extends Tensor> tensors, Map<String, String> metadata) {
        Layout layout = layout(tensors, metadata);
        long total = 8L + layout.header.length + layout.dataLength;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("toBytes: the file would be " + total
                    + " bytes, too large for a byte array; save it to a file instead");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) total);
        try {
            layout.writeTo(Channels.newChannel(out));
        } catch (IOException e) {
            throw new AssertionError("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    /** The header and the order of the tensors, computed (and the input checked) before anything is written. */
    private record Layout(byte[] header, List<Header.Out> entries, List<Tensor> tensors, long dataLength) {

        void writeTo(WritableByteChannel channel) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            buf.putLong(header.length);
            flush(channel, buf);
            writeFully(channel, ByteBuffer.wrap(header));
            for (int i = 0; i < tensors.size(); i++) {
                writeData(channel, buf, entries.get(i).dtype(), tensors.get(i));
            }
        }
    }

    private static Layout layout(Map<String, ? extends Tensor> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(tensors, "tensors");
        Objects.requireNonNull(metadata, "metadata");
        for (Map.Entry<String, String> m : metadata.entrySet()) {
            String key = Objects.requireNonNull(m.getKey(), "a metadata key is null");
            String value = Objects.requireNonNull(m.getValue(), () -> "metadata " + quote(key) + " is null");
            if (Header.unpairedSurrogate(key) >= 0 || Header.unpairedSurrogate(value) >= 0) {
                throw new IllegalArgumentException("save: metadata " + quote(key) + " is not valid Unicode"
                        + " (it has an unpaired surrogate)");
            }
        }
        List<Map.Entry<String, ? extends Tensor>> sorted = new ArrayList<>(tensors.entrySet());
        for (Map.Entry<String, ? extends Tensor> e : sorted) {
            String name = Objects.requireNonNull(e.getKey(), "a tensor key is null");
            Objects.requireNonNull(e.getValue(), () -> "the tensor for key " + quote(name) + " is null");
            if (name.equals(Header.METADATA_KEY)) {
                throw new IllegalArgumentException("save: \"__metadata__\" cannot be a tensor key; the format reserves"
                        + " it for the metadata map");
            }
            if (Header.unpairedSurrogate(name) >= 0) {
                throw new IllegalArgumentException("save: tensor key " + quote(name)
                        + " is not valid Unicode (it has an unpaired surrogate)");
            }
        }
        // The reference writer's order: dtype alignment descending, then name.
        sorted.sort(Comparator.<Map.Entry<String, ? extends Tensor>>comparingInt(
                        e -> -FileDType.of(e.getValue().dtype()).ordinal())
                .thenComparing(Map.Entry::getKey, UTF8_ORDER));
        List<Header.Out> entries = new ArrayList<>(sorted.size());
        List<Tensor> data = new ArrayList<>(sorted.size());
        long offset = 0;
        for (Map.Entry<String, ? extends Tensor> e : sorted) {
            // A tensor on a GPU is written from a host copy, made before anything is written.
            Tensor t = e.getValue().detach().to(dev.kiln.device.Device.CPU);
            FileDType type = FileDType.of(t.dtype());
            long bytes = (long) t.numel() * type.bytes();
            entries.add(new Header.Out(e.getKey(), type, t.shape().toArray(), offset, offset + bytes));
            data.add(t);
            offset += bytes;
        }
        byte[] header = Header.encode(entries, metadata);
        if (header.length > MAX_HEADER_LENGTH) {
            throw new IllegalArgumentException("save: the header would be " + header.length
                    + " bytes, more than readers accept (" + MAX_HEADER_LENGTH + "); use fewer or shorter keys and metadata");
        }
        return new Layout(header, entries, data, offset);
    }

    private static void writeData(WritableByteChannel channel, ByteBuffer buf, FileDType type, Tensor t)
            throws IOException {
        switch (type) {
            case F32 -> {
                float[] a = t.toFloatArray();
                for (int i = 0; i < a.length; ) {
                    int n = Math.min(a.length - i, buf.remaining() / 4);
                    buf.asFloatBuffer().put(a, i, n);
                    buf.position(buf.position() + 4 * n);
                    i += n;
                    flushIfFull(channel, buf, 4);
                }
            }
            case F64 -> {
                double[] a = t.toDoubleArray();
                for (int i = 0; i < a.length; ) {
                    int n = Math.min(a.length - i, buf.remaining() / 8);
                    buf.asDoubleBuffer().put(a, i, n);
                    buf.position(buf.position() + 8 * n);
                    i += n;
                    flushIfFull(channel, buf, 8);
                }
            }
            case I64 -> {
                long[] a = t.toLongArray();
                for (int i = 0; i < a.length; ) {
                    int n = Math.min(a.length - i, buf.remaining() / 8);
                    buf.asLongBuffer().put(a, i, n);
                    buf.position(buf.position() + 8 * n);
                    i += n;
                    flushIfFull(channel, buf, 8);
                }
            }
            case BOOL -> {
                boolean[] a = t.toBooleanArray();
                for (boolean b : a) {
                    buf.put((byte) (b ? 1 : 0));
                    flushIfFull(channel, buf, 1);
                }
            }
            default -> throw new AssertionError("Kiln never writes " + type);
        }
        flush(channel, buf);
    }

    private static void flushIfFull(WritableByteChannel channel, ByteBuffer buf, int need) throws IOException {
        if (buf.remaining() < need) {
            flush(channel, buf);
        }
    }

    private static void flush(WritableByteChannel channel, ByteBuffer buf) throws IOException {
        buf.flip();
        writeFully(channel, buf);
        buf.clear();
    }

    private static void writeFully(WritableByteChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    /** What a save writes into the temporary file's channel. */
    @FunctionalInterface
    interface Body {
        void writeTo(WritableByteChannel channel) throws IOException;
    }

    /**
     * Writes {@code file} through a temporary file in its directory that is forced to disk and then
     * moved over {@code file} atomically; on any failure the temporary file is removed and
     * {@code file} is left as it was.
     */
    static void writeAtomically(Path file, Body body) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        String name = target.getFileName().toString();
        if (name.length() > 200) {
            name = name.substring(0, 200);
        }
        Path temp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                body.writeTo(channel);
                channel.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException | RuntimeException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
        if (moved) {
            syncDirectory(dir);
        }
    }

    /** Makes the rename durable where the platform allows forcing a directory (Linux, macOS); a no-op elsewhere. */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            // Windows cannot open a directory as a channel; the rename itself has happened.
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Loading

    /**
     * Loads every tensor of {@code file}, in the order of their data in the file. The metadata is
     * dropped; see {@link #loadWithMetadata}.
     *
     * @throws SafetensorsException if the file is not a valid safetensors file Kiln can read
     * @throws IOException if the file cannot be read
     */
    public static LinkedHashMap<String, Tensor> load(Path file) throws IOException {
        return loadWithMetadata(file).tensors();
    }

    /**
     * Loads every tensor of {@code file}, in the order of their data in the file, and its
     * {@code __metadata__}.
     *
     * @throws SafetensorsException if the file is not a valid safetensors file Kiln can read
     * @throws IOException if the file cannot be read
     */
    public static SafetensorsContents loadWithMetadata(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            return read(new Source() {
                @Override
                public long size() {
                    return size;
                }

                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    return channel.read(dst, position);
                }
            }, file.toString());
        }
    }

    /**
     * The tensors of a safetensors file held in {@code bytes}, in the order of their data.
     *
     * @throws SafetensorsException if the bytes are not a valid safetensors file Kiln can read
     */
    public static LinkedHashMap<String, Tensor> fromBytes(byte[] bytes) throws SafetensorsException {
        return fromBytesWithMetadata(bytes).tensors();
    }

    /**
     * The tensors and metadata of a safetensors file held in {@code bytes}.
     *
     * @throws SafetensorsException if the bytes are not a valid safetensors file Kiln can read
     */
    public static SafetensorsContents fromBytesWithMetadata(byte[] bytes) throws SafetensorsException {
        Objects.requireNonNull(bytes, "bytes");
        try {
            return read(new Source() {
                @Override
                public long size() {
                    return bytes.length;
                }

                @Override
                public int read(ByteBuffer dst, long position) {
                    if (position >= bytes.length) {
                        return -1;
                    }
                    int n = (int) Math.min(dst.remaining(), bytes.length - position);
                    dst.put(bytes, (int) position, n);
                    return n;
                }
            }, bytesSource(bytes));
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new AssertionError("reading memory cannot fail", e);
        }
    }

    /**
     * Loads {@code file} into the tensors of a live state dict (such as a module's {@code stateDict()},
     * whose values are its parameters and buffers), copying each file tensor into the state-dict tensor
     * of the same key (converted to that tensor's type) without recording gradients, as PyTorch's
     * {@code load_state_dict} does.
     *
     * <p>Everything is checked before the first tensor is changed: the whole file, then the keys (with
     * {@code strict}, the file and the state dict must have the same keys) and every shape. If
     * anything is wrong, no tensor of {@code stateDict} was changed.
     *
     * @return the keys that did not match (always empty with {@code strict})
     * @throws SafetensorsException if the file is not valid, or does not fit {@code stateDict}
     *     ({@link SafetensorsException.Problem#STATE_DICT_MISMATCH})
     * @throws IOException if the file cannot be read
     */
    public static IncompatibleKeys loadInto(Map<String, ? extends Tensor> stateDict, Path file, boolean strict)
            throws IOException {
        Objects.requireNonNull(stateDict, "stateDict");
        return copyInto(stateDict, load(file), strict, file.toString());
    }

    /**
     * As {@link #loadInto(Map, Path, boolean)}, from the bytes of a safetensors file.
     *
     * @throws SafetensorsException if the bytes are not valid, or do not fit {@code stateDict}
     */
    public static IncompatibleKeys loadInto(Map<String, ? extends Tensor> stateDict, byte[] bytes, boolean strict)
            throws SafetensorsException {
        Objects.requireNonNull(stateDict, "stateDict");
        return copyInto(stateDict, fromBytes(bytes), strict, bytesSource(bytes));
    }

    static IncompatibleKeys copyInto(Map<String, ? extends Tensor> stateDict, Map<String, Tensor> loaded,
            boolean strict, String source) throws SafetensorsException {
        List<String> missing = new ArrayList<>();
        for (String key : stateDict.keySet()) {
            if (!loaded.containsKey(key)) {
                missing.add(key);
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String key : loaded.keySet()) {
            if (!stateDict.containsKey(key)) {
                unexpected.add(key);
            }
        }
        List<String> errors = new ArrayList<>();
        if (strict && !unexpected.isEmpty()) {
            errors.add("unexpected key(s) in the file: " + quoteAll(unexpected));
        }
        if (strict && !missing.isEmpty()) {
            errors.add("missing key(s) in the file: " + quoteAll(missing));
        }
        for (Map.Entry<String, ? extends Tensor> e : stateDict.entrySet()) {
            Tensor from = loaded.get(e.getKey());
            Tensor to = Objects.requireNonNull(e.getValue(), () -> "the state dict's tensor " + quote(e.getKey()) + " is null");
            if (from == null) {
                continue;
            }
            if (!from.shape().equals(to.shape())) {
                errors.add("size mismatch for " + quote(e.getKey()) + ": the file has shape " + from.shape()
                        + ", the state dict's tensor has shape " + to.shape());
            } else if (isExpanded(to)) {
                errors.add(quote(e.getKey()) + " is an expanded view, in which several elements share one memory"
                        + " location; it cannot be loaded into");
            }
        }
        if (!errors.isEmpty()) {
            throw new SafetensorsException(Problem.STATE_DICT_MISMATCH, source, null,
                    "the file does not fit the state dict, which was left unchanged: " + String.join("; ", errors));
        }
        try (var noGrad = Kiln.noGrad()) {
            for (Map.Entry<String, ? extends Tensor> e : stateDict.entrySet()) {
                Tensor from = loaded.get(e.getKey());
                if (from != null) {
                    e.getValue().copyFrom(from);
                }
            }
        }
        return new IncompatibleKeys(missing, unexpected);
    }

    private static boolean isExpanded(Tensor t) {
        int[] stride = t.stride();
        Shape shape = t.shape();
        for (int d = 0; d < stride.length; d++) {
            if (stride[d] == 0 && shape.get(d) > 1) {
                return true;
            }
        }
        return false;
    }

    /** Random-access reads of a file or a buffer. */
    private interface Source {
        long size() throws IOException;

        /** Reads into {@code dst} from {@code position}; the number of bytes read, or -1 at the end. */
        int read(ByteBuffer dst, long position) throws IOException;
    }

    private static SafetensorsContents read(Source src, String source) throws IOException {
        long size = src.size();
        if (size < 8) {
            throw new SafetensorsException(Problem.FILE_TOO_SHORT, source, null, "the file is " + size
                    + " bytes long, too short for the 8-byte header length that begins a safetensors file");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(src, lengthBytes, 0, source, null);
        long n = lengthBytes.getLong(0);
        if (n < 0 || n > MAX_HEADER_LENGTH) {
            throw new SafetensorsException(Problem.HEADER_TOO_LARGE, source, null, "the header length is "
                    + Long.toUnsignedString(n) + " bytes, more than the limit of " + MAX_HEADER_LENGTH
                    + " (the file is " + size + " bytes); this is not a safetensors file, or it is corrupt");
        }
        if (n > size - 8) {
            throw new SafetensorsException(Problem.HEADER_PAST_END, source, null, "the header length is " + n
                    + " bytes, but the file has only " + (size - 8) + " bytes after the 8-byte length; is it truncated?");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
        readFully(src, headerBytes, 8, source, null);
        Header header = Header.parse(headerBytes.array(), source);
        long dataStart = 8 + n;
        List<Header.Checked> entries = header.validate(size - dataStart, size, source);
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (Header.Checked c : entries) {
            Object array = readData(src, dataStart + c.begin(), c, source);
            tensors.put(c.name(), ACCESS.wrap(c.dtype().kilnType(), array, c.dims()));
        }
        return new SafetensorsContents(tensors, header.metadata());
    }

    private static Object readData(Source src, long position, Header.Checked c, String source) throws IOException {
        FileDType type = c.dtype();
        int n = c.numel();
        int size = type.bytes();
        Object array = switch (type.kilnType()) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case BOOL -> new boolean[n];
        };
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, (long) n * size)).order(ByteOrder.LITTLE_ENDIAN);
        for (int done = 0; done < n; ) {
            int count = Math.min(n - done, buf.capacity() / size);
            buf.clear().limit(count * size);
            readFully(src, buf, position + (long) done * size, source, c.name());
            buf.flip();
            convert(type, buf, array, done, count);
            done += count;
        }
        return array;
    }

    private static void convert(FileDType type, ByteBuffer buf, Object array, int at, int count) {
        switch (type) {
            case F32 -> buf.asFloatBuffer().get((float[]) array, at, count);
            case F64 -> buf.asDoubleBuffer().get((double[]) array, at, count);
            case I64 -> buf.asLongBuffer().get((long[]) array, at, count);
            case BOOL -> {
                boolean[] a = (boolean[]) array;
                for (int i = 0; i < count; i++) {
                    a[at + i] = buf.get() != 0;
                }
            }
            case F16 -> {
                float[] a = (float[]) array;
                for (int i = 0; i < count; i++) {
                    a[at + i] = Float.float16ToFloat(buf.getShort());
                }
            }
            case BF16 -> {
                float[] a = (float[]) array;
                for (int i = 0; i < count; i++) {
                    a[at + i] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                }
            }
            case I8 -> {
                long[] a = (long[]) array;
                for (int i = 0; i < count; i++) {
                    a[at + i] = buf.get();
                }
            }
            case U8 -> {
                long[] a = (long[]) array;
                for (int i = 0; i < count; i++) {
                    a[at + i] = buf.get() & 0xffL;
                }
            }
            case I16 -> {
                long[] a = (long[]) array;
                for (int i = 0; i < count; i++) {
                    a[at + i] = buf.getShort();
                }
            }
            case U16 -> {
                long[] a = (long[]) array;
                for (int i = 0; i < count; i++) {
                    a[at + i] = buf.getShort() & 0xffffL;
                }
            }
            case I32 -> {
                long[] a = (long[]) array;
                for (int i = 0; i < count; i++) {
                    a[at + i] = buf.getInt();
                }
            }
            case U32 -> {
                long[] a = (long[]) array;
                for (int i = 0; i < count; i++) {
                    a[at + i] = buf.getInt() & 0xffffffffL;
                }
            }
            default -> throw new AssertionError("validated away: " + type);
        }
    }

    private static void readFully(Source src, ByteBuffer dst, long position, String source, String tensor)
            throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = src.read(dst, at);
            if (n < 0) {
                throw new SafetensorsException(Problem.TRUNCATED, source, tensor, "the file ended at byte " + at
                        + " while " + dst.remaining() + " more bytes were expected; was it changed while being read?");
            }
            at += n;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Messages

    private static String bytesSource(byte[] bytes) {
        return "<safetensors bytes, " + bytes.length + " long>";
    }

    /** A key in single quotes, with control characters escaped, for messages. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('\'');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }

    private static String quoteAll(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String key : keys) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(quote(key));
        }
        return sb.toString();
    }
}
