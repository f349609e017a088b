package dev.pagoda.engine.model;

import dev.pagoda.engine.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Writes safetensors files as the reference implementation does: 8-byte little-endian header
 * length, JSON header padded with spaces so the data section starts 8-byte aligned, tensors packed
 * back to back in the order given.
 *
 * <p>Writing streams: the data section is memory-mapped and each tensor's producer fills its slice
 * in place, so a gigabyte-sized model never passes through the Java heap. The file appears under
 * its name only when complete (written beside it, then moved).
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /**
     * One tensor to write.
     *
     * @param shape dimensions, outermost first
     * @param fill  writes the tensor's {@code product(shape) * dtype.byteSize} little-endian bytes into the given slice
     */
    public record Entry(String name, DType dtype, long[] shape, Consumer<MemorySegment> fill) {
        public long byteSize() {
            return Math.multiplyExact(Tensor.numElements(shape), dtype.byteSize);
        }
    }

    /** Writes existing tensors (copied from their segments). */
    public static void write(Path file, Map<String, String> metadata, Collection<Tensor> tensors) {
        List<Entry> entries = new ArrayList<>();
        for (Tensor t : tensors) entries.add(new Entry(t.name(), t.dtype(), t.shape(), out -> out.copyFrom(t.data())));
        write(file, metadata, entries);
    }

    /** Writes {@code entries} in order, with {@code metadata} as {@code __metadata__}. */
    public static void write(Path file, Map<String, String> metadata, List<Entry> entries) {
        byte[] header = header(metadata, entries);
        long dataSize = 0;
        for (Entry e : entries) dataSize = Math.addExact(dataSize, e.byteSize());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofShared()) { // producers may fill from several threads
                ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(header.length).put(header).flip();
                while (prefix.hasRemaining()) ch.write(prefix);
                if (dataSize > 0) {
                    MemorySegment data = ch.map(FileChannel.MapMode.READ_WRITE, 8 + header.length, dataSize, arena);
                    long offset = 0;
                    for (Entry e : entries) {
                        e.fill().accept(data.asSlice(offset, e.byteSize()));
                        offset += e.byteSize();
                    }
                    data.force();
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes. */
    static byte[] header(Map<String, String> metadata, List<Entry> entries) {
        Map<String, Object> json = new LinkedHashMap<>();
        if (!metadata.isEmpty()) json.put("__metadata__", new LinkedHashMap<>(metadata));
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (Entry e : entries) {
            if (e.name().equals("__metadata__") || !names.add(e.name())) {
                throw new IllegalArgumentException("cannot write tensor name '" + e.name() + "' twice or as __metadata__");
            }
            List<Long> shape = new ArrayList<>();
            for (long d : e.shape()) shape.add(d);
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", e.dtype().safetensorsName);
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + e.byteSize()));
            json.put(e.name(), info);
            offset += e.byteSize();
        }
        byte[] text = Json.write(json).getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(text, 0, out, 0, text.length);
        for (int i = text.length; i < padded; i++) out[i] = ' ';
        return out;
    }
}
