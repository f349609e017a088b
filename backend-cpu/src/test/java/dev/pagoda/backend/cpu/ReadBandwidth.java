package dev.pagoda.backend.cpu;

import static dev.pagoda.backend.cpu.Dot.F;
import static dev.pagoda.backend.cpu.Dot.L;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * The machine's memory read bandwidth, measured the way the matmuls read: every thread of the
 * pool sums its share of a buffer far larger than the last-level cache with the Vector API.
 * This is the ceiling a decode step (which reads every weight once) can approach.
 */
final class ReadBandwidth implements AutoCloseable {
    private static final int CHUNK_BYTES = 1 << 20;
    private final Arena arena = Arena.ofShared();
    final MemorySegment buffer;
    private final float[] partial;

    ReadBandwidth(long bytes, int numThreads) {
        buffer = arena.allocate(bytes, 64);
        for (long i = 0; i < bytes / 8; i++) buffer.setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, i * 0x9E3779B97F4A7C15L & 0x3F3F3F3F3F3F3F3FL);
        partial = new float[numThreads * 16];
    }

    /** Reads the whole buffer once on all threads of {@code pool}; returns a sum so nothing is optimized away. */
    float readOnce(WorkerPool pool) {
        int numChunks = (int) (buffer.byteSize() / CHUNK_BYTES);
        java.util.Arrays.fill(partial, 0f);
        pool.parallelFor(numChunks, 1, (worker, start, end) -> {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (long b = (long) start * CHUNK_BYTES, stop = (long) end * CHUNK_BYTES; b < stop; b += 16L * L) {
                a0 = a0.add(FloatVector.fromMemorySegment(F, buffer, b, ByteOrder.LITTLE_ENDIAN));
                a1 = a1.add(FloatVector.fromMemorySegment(F, buffer, b + 4L * L, ByteOrder.LITTLE_ENDIAN));
                a2 = a2.add(FloatVector.fromMemorySegment(F, buffer, b + 8L * L, ByteOrder.LITTLE_ENDIAN));
                a3 = a3.add(FloatVector.fromMemorySegment(F, buffer, b + 12L * L, ByteOrder.LITTLE_ENDIAN));
            }
            partial[worker * 16] += Dot.sumLanes(a0.add(a1).add(a2.add(a3)));
        });
        float sum = 0;
        for (float p : partial) sum += p;
        return sum;
    }

    @Override
    public void close() {
        arena.close();
    }
}
