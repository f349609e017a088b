package dev.pagoda.engine.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One safetensors file, memory-mapped read-only into an {@link Arena}. Its tensors are
 * {@link Tensor} slices of the mapping: the operating system pages weights in on first touch and
 * nothing is copied to the Java heap. The mapping lives as long as the arena; closing the arena
 * unmaps it (and makes every tensor of this file inaccessible).
 *
 * <p>{@link #open} validates the whole header (see {@link SafetensorsHeader}) before any tensor
 * is handed out, so a corrupt file fails with a message naming the file, the tensor and the
 * problem, never with an index exception.
 */
public final class SafetensorsFile {
    private final Path path;
    private final MemorySegment mapping;
    private final Map<String, String> metadata;
    /** Name → tensor, in data-offset order. */
    private final Map<String, Tensor> tensors;

    private SafetensorsFile(Path path, MemorySegment mapping, Map<String, String> metadata, Map<String, Tensor> tensors) {
        this.path = path;
        this.mapping = mapping;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /**
     * Maps {@code file} into {@code arena} and validates it. Use a shared arena when several
     * threads will read the weights.
     */
    public static SafetensorsFile open(Path file, Arena arena) {
        MemorySegment mapping;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) throw SafetensorsHeader.fail(file, "file has " + size + " bytes, too small for the 8-byte header length");
            mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw SafetensorsHeader.fail(file, "no such file");
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot map: " + e, e);
        }
        long fileSize = mapping.byteSize();
        long headerSize = mapping.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        // Unsigned in the format: a value with the top bit set reads as negative here.
        if (headerSize < 0 || headerSize > SafetensorsHeader.MAX_HEADER_SIZE) {
            throw SafetensorsHeader.fail(file, "header length " + Long.toUnsignedString(headerSize) + " exceeds the "
                    + SafetensorsHeader.MAX_HEADER_SIZE + "-byte bound");
        }
        if (8 + headerSize > fileSize) {
            throw SafetensorsHeader.fail(file, "header length " + headerSize + " runs past the end of the file ("
                    + fileSize + " bytes; truncated?)");
        }
        byte[] json = mapping.asSlice(8, headerSize).toArray(ValueLayout.JAVA_BYTE);
        long dataStart = 8 + headerSize;
        SafetensorsHeader header = SafetensorsHeader.parse(file, json, fileSize - dataStart);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (SafetensorsHeader.Entry e : header.entries()) {
            MemorySegment data = mapping.asSlice(dataStart + e.begin(), e.byteSize());
            tensors.put(e.name(), new Tensor(e.name(), e.dtype(), e.shape(), data));
        }
        return new SafetensorsFile(file, mapping, header.metadata(), Collections.unmodifiableMap(tensors));
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} strings of the header. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Every tensor, by name, in data-offset order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Optional<Tensor> tensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** Size of the mapped file in bytes. */
    public long byteSize() {
        return mapping.byteSize();
    }
}
