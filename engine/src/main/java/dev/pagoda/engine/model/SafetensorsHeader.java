package dev.pagoda.engine.model;

import dev.pagoda.engine.json.Json;
import dev.pagoda.engine.json.JsonException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated JSON header of a safetensors file.
 *
 * <p>File layout: {@code [u64 little-endian N][N bytes of UTF-8 JSON][data section]}. The JSON maps
 * each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} with offsets relative
 * to the data section, plus an optional {@code "__metadata__"} map of strings. The checks follow the
 * reference Rust implementation ({@code safetensors::SafeTensors::deserialize}): the header starts
 * with {@code '{'}, is valid UTF-8 and JSON; every dtype is known; {@code product(shape) * dtype size}
 * equals {@code end - begin} (overflow-checked); sorted by offset, the tensors tile the data section
 * exactly, with no overlap and no gap; and no name appears twice.
 *
 * @param metadata the {@code __metadata__} strings (e.g. {@code format: pt})
 * @param entries  the tensors in the order of their data offsets
 */
public record SafetensorsHeader(Map<String, String> metadata, List<Entry> entries) {

    /** The reference implementation's bound on the header length: 100 MB. */
    public static final long MAX_HEADER_SIZE = 100_000_000L;

    /**
     * One tensor's header entry; {@code begin}/{@code end} are byte offsets into the data section.
     *
     * @param shape dimensions, outermost first
     */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public long byteSize() {
            return end - begin;
        }
    }

    public SafetensorsHeader {
        metadata = Map.copyOf(metadata);
        entries = List.copyOf(entries);
    }

    /**
     * Parses and checks a header.
     *
     * @param file     the file, for messages
     * @param json     the header bytes (without the 8-byte length)
     * @param dataSize bytes in the data section (file size − 8 − header length)
     */
    public static SafetensorsHeader parse(Path file, byte[] json, long dataSize) {
        String text = decodeUtf8(file, json);
        if (!text.startsWith("{")) throw fail(file, "header does not start with '{' (not a safetensors file?)");
        Map<String, Object> root;
        try {
            root = Json.parseObject(text, true);
        } catch (JsonException e) {
            String m = e.getMessage();
            if (m.startsWith("duplicate key")) throw fail(file, "header lists a tensor twice: " + m);
            throw fail(file, "header is not valid JSON: " + m);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : root.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                entries.add(readEntry(file, e.getKey(), e.getValue()));
            }
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        checkTiling(file, entries, dataSize);
        return new SafetensorsHeader(metadata, entries);
    }

    private static String decodeUtf8(Path file, byte[] json) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(json))
                    .toString();
        } catch (CharacterCodingException e) {
            throw fail(file, "header is not valid UTF-8");
        }
    }

    private static void readMetadata(Path file, Object value, Map<String, String> out) {
        if (!(value instanceof Map<?, ?> map)) throw fail(file, "__metadata__ must be an object of strings, got " + JsonFields.show(value));
        for (Map.Entry<?, ?> m : map.entrySet()) {
            if (!(m.getValue() instanceof String s)) {
                throw fail(file, "__metadata__." + m.getKey() + " must be a string, got " + JsonFields.show(m.getValue()));
            }
            out.put((String) m.getKey(), s);
        }
    }

    private static Entry readEntry(Path file, String name, Object value) {
        if (!(value instanceof Map<?, ?> info)) throw tensorFail(file, name, "entry must be an object, got " + JsonFields.show(value));
        if (!(info.get("dtype") instanceof String dtypeName)) {
            throw tensorFail(file, name, "dtype must be a string, got " + JsonFields.show(info.get("dtype")));
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dtypeName);
        } catch (IllegalArgumentException e) {
            throw tensorFail(file, name, e.getMessage());
        }
        long[] shape = longs(file, name, "shape", info.get("shape"));
        long[] offsets = longs(file, name, "data_offsets", info.get("data_offsets"));
        if (offsets.length != 2) throw tensorFail(file, name, "data_offsets must be [begin, end], got " + Arrays.toString(offsets));
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw tensorFail(file, name, "data_offsets " + Arrays.toString(offsets) + " end before they begin");
        long expected;
        try {
            expected = Math.multiplyExact(Tensor.numElements(shape), dtype.byteSize);
        } catch (ArithmeticException e) {
            throw tensorFail(file, name, "shape " + Arrays.toString(shape) + " of " + dtype + " overflows a 64-bit byte count");
        }
        if (expected != end - begin) {
            throw tensorFail(file, name, "shape " + Arrays.toString(shape) + " of " + dtype + " needs " + expected
                    + " bytes but data_offsets " + Arrays.toString(offsets) + " hold " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers. */
    private static long[] longs(Path file, String name, String field, Object value) {
        if (!(value instanceof List<?> list)) throw tensorFail(file, name, field + " must be an array of integers, got " + JsonFields.show(value));
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long l) || l < 0) {
                throw tensorFail(file, name, field + " must hold non-negative integers, got " + JsonFields.show(list.get(i)));
            }
            out[i] = l;
        }
        return out;
    }

    /** Sorted by offset, tensors must cover {@code [0, dataSize)} exactly once, as the reference requires. */
    private static void checkTiling(Path file, List<Entry> sorted, long dataSize) {
        long expectedBegin = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < expectedBegin) {
                throw tensorFail(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end() + "] overlap tensor "
                        + previous.name() + " [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (e.begin() > expectedBegin) {
                throw tensorFail(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end() + "] leave a gap of "
                        + (e.begin() - expectedBegin) + " bytes after " + (previous == null ? "the start of the data section" : "tensor " + previous.name()));
            }
            if (e.end() > dataSize) {
                throw tensorFail(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end() + "] run past the end of the data section ("
                        + dataSize + " bytes; file truncated?)");
            }
            expectedBegin = e.end();
            previous = e;
        }
        if (expectedBegin != dataSize) {
            throw fail(file, "data section has " + dataSize + " bytes but its tensors end at " + expectedBegin
                    + " (trailing bytes not described by the header)");
        }
    }

    static ModelLoadException fail(Path file, String problem) {
        return new ModelLoadException(file + ": " + problem);
    }

    static ModelLoadException tensorFail(Path file, String tensor, String problem) {
        return new ModelLoadException(file + ": tensor " + tensor + ": " + problem);
    }
}
