package dev.pagoda.engine.model;

import static dev.pagoda.engine.model.ModelConfigParserTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading valid safetensors files, and the corruption suite: every bad file fails with a message naming file, tensor and problem. */
class SafetensorsFileTest {
    @TempDir Path tmp;

    /** A file with a hand-written header and {@code dataBytes} bytes of data 0, 1, 2, ... */
    Path raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return rawWithLength(h.length, h, dataBytes);
    }

    Path rawWithLength(long declaredHeaderLength, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredHeaderLength).put(header);
        for (int i = 0; i < dataBytes; i++) b.put((byte) i);
        Path f = tmp.resolve("model.safetensors");
        Files.write(f, b.array());
        return f;
    }

    ModelLoadException fails(Path f) {
        try (Arena arena = Arena.ofConfined()) {
            return assertThrows(ModelLoadException.class, () -> SafetensorsFile.open(f, arena));
        }
    }

    @Test
    void readsTensorsAsSlicesOfTheMapping() throws IOException {
        Path f = raw("{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"a\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"empty\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[16,16]}}", 16);
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile st = SafetensorsFile.open(f, arena);
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertEquals(List.of("a", "b", "empty"), st.names(), "data-offset order");
            Tensor a = st.tensor("a").orElseThrow();
            assertEquals(DType.BF16, a.dtype());
            assertArrayEquals(new long[] {2, 2}, a.shape());
            assertEquals(8, a.data().byteSize());
            assertEquals(0, a.data().get(ValueLayout.JAVA_BYTE, 0));
            Tensor b = st.tensor("b").orElseThrow();
            assertEquals(8, b.data().get(ValueLayout.JAVA_BYTE, 0), "b starts 8 bytes into the data section");
            assertEquals(0, st.tensor("empty").orElseThrow().numElements());
            assertEquals(true, a.data().isMapped(), "weights stay in the mapping, not the heap");
        }
    }

    @Test
    void writerOutputReadsBack() {
        Path f = tmp.resolve("w.safetensors");
        float[] values = {1.5f, -2f, 3.25f, 0f, 7f, 1e-3f};
        MemorySegment src = MemorySegment.ofArray(values);
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = new Tensor("x", DType.F32, new long[] {2, 3}, src);
            SafetensorsWriter.write(f, Map.of("format", "pt"), List.of(t));
            SafetensorsFile st = SafetensorsFile.open(f, arena);
            Tensor back = st.tensor("x").orElseThrow();
            assertArrayEquals(values, back.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)));
            long dataStart = st.byteSize() - back.data().byteSize();
            assertEquals(0, dataStart % 8, "the data section is 8-byte aligned");
        }
    }

    // ------------------------------------------------------------------ corruption suite

    @Test
    void tooSmallForTheLength() throws IOException {
        Path f = tmp.resolve("tiny.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertMessage(fails(f), f.toString(), "3 bytes", "too small");
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        Path f = rawWithLength(1000, "{}".getBytes(StandardCharsets.UTF_8), 0);
        assertMessage(fails(f), f.toString(), "header length 1000", "past the end of the file");
    }

    @Test
    void headerLengthAboveTheBound() throws IOException {
        Path f = rawWithLength(100_000_001L, "{}".getBytes(StandardCharsets.UTF_8), 0);
        assertMessage(fails(f), f.toString(), "100000001", "100000000-byte bound");
        Path g = rawWithLength(-1L, "{}".getBytes(StandardCharsets.UTF_8), 0);
        assertMessage(fails(g), "18446744073709551615", "bound");
    }

    @Test
    void badJson() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",", 0);
        assertMessage(fails(f), f.toString(), "not valid JSON");
        Path g = raw("[1,2]", 0);
        assertMessage(fails(g), g.toString(), "does not start with '{'");
        Path h = rawWithLength(2, new byte[] {'{', (byte) 0xC3}, 0);
        assertMessage(fails(h), h.toString(), "UTF-8");
    }

    @Test
    void unknownDtype() throws IOException {
        Path f = raw("{\"w\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        assertMessage(fails(f), f.toString(), "tensor w", "I64", "F32, BF16, F16");
    }

    @Test
    void shapeTimesDtypeIsNotTheByteLength() throws IOException {
        Path f = raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,16]}}", 16);
        assertMessage(fails(f), f.toString(), "tensor w", "[3, 2]", "24 bytes", "hold 16");
    }

    @Test
    void shapeOverflow() throws IOException {
        Path f = raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", 16);
        assertMessage(fails(f), f.toString(), "tensor w", "overflows");
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        Path f = raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertMessage(fails(f), f.toString(), "tensor w", "[0, 16]", "past the end of the data section");
        Path g = raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8);
        assertMessage(fails(g), g.toString(), "tensor w", "end before they begin");
        Path h = raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8);
        assertMessage(fails(h), h.toString(), "tensor w", "data_offsets", "-4");
        Path i = raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8);
        assertMessage(fails(i), i.toString(), "tensor w", "[begin, end]");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertMessage(fails(f), f.toString(), "tensor b", "overlap tensor a");
    }

    @Test
    void gapsAndTrailingBytes() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertMessage(fails(f), f.toString(), "tensor a", "gap of 4 bytes");
        Path g = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8);
        assertMessage(fails(g), g.toString(), "8 bytes", "end at 4");
    }

    @Test
    void duplicateNames() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        assertMessage(fails(f), f.toString(), "twice", "\"a\"");
    }

    @Test
    void malformedEntriesAndMetadata() throws IOException {
        assertMessage(fails(raw("{\"w\":[1]}", 0)), "tensor w", "must be an object");
        assertMessage(fails(raw("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4)), "tensor w", "dtype must be a string");
        assertMessage(fails(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4)), "tensor w", "shape must be an array");
        assertMessage(fails(raw("{\"__metadata__\":{\"format\":1}}", 0)), "__metadata__.format", "must be a string");
    }
}
