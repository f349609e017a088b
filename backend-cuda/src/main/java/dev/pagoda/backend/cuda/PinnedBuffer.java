package dev.pagoda.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpy2DAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.CUDA_MEMCPY2D;
import jcuda.driver.CUmemorytype;

/**
 * Page-locked ("pinned") host memory that a decode step stages its small uploads and downloads in,
 * so that they are queued on the stream like kernels instead of stopping the host.
 *
 * <p>Why: a copy from a Java array (pageable memory) is synchronous. {@code cuMemcpyHtoD} first
 * waits until the GPU has finished everything queued before it, then copies, then returns; the host
 * cannot prepare the next piece of work while the GPU runs. From pinned memory,
 * {@code cuMemcpyHtoDAsync} returns at once and the copy runs in stream order: a step can upload
 * its sampling parameters, launch the forward graph and the sampling kernel, queue the download of
 * the sampled ids and wait once.
 *
 * <p>The one rule: bytes staged here may be rewritten only after the stream has passed the copy that
 * reads them. Each user synchronizes its stream once per step after its last copy, before it stages
 * the next step's bytes; each keeps its own buffer.
 */
final class PinnedBuffer implements AutoCloseable {
    private Pointer host;      // cuMemAllocHost
    private ByteBuffer bytes;  // the same memory, native byte order
    private long capacity;

    /** Grows to at least {@code needed} bytes (the old contents are dropped). Only between steps. */
    void ensure(long needed) {
        if (needed <= capacity) return;
        close();
        long size = Math.max(needed, 2 * capacity);
        host = new Pointer();
        cuMemAllocHost(host, size);
        bytes = host.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        capacity = size;
    }

    void putInts(long byteOffset, int[] src, int count) {
        bytes.slice((int) byteOffset, count * Integer.BYTES).order(ByteOrder.nativeOrder()).asIntBuffer().put(src, 0, count);
    }

    void putFloats(long byteOffset, float[] src, int count) {
        bytes.slice((int) byteOffset, count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer().put(src, 0, count);
    }

    void putDoubles(long byteOffset, double[] src, int count) {
        bytes.slice((int) byteOffset, count * Double.BYTES).order(ByteOrder.nativeOrder()).asDoubleBuffer().put(src, 0, count);
    }

    void getInts(long byteOffset, int[] dst, int count) {
        bytes.slice((int) byteOffset, count * Integer.BYTES).order(ByteOrder.nativeOrder()).asIntBuffer().get(dst, 0, count);
    }

    void getFloats(long byteOffset, float[] dst, int count) {
        getFloats(byteOffset, dst, 0, count);
    }

    void getFloats(long byteOffset, float[] dst, int dstOffset, int count) {
        check(byteOffset, (long) count * Float.BYTES);
        bytes.slice((int) byteOffset, count * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer().get(dst, dstOffset, count);
    }

    /** Queues a copy of {@code count} bytes from {@code byteOffset} here to {@code dst} at {@code dstByteOffset}. */
    void uploadAsync(CudaContext cuda, long byteOffset, DeviceBuffer dst, long dstByteOffset, long count) {
        check(byteOffset, count);
        if (dstByteOffset + count > dst.bytes()) throw new IndexOutOfBoundsException(count + " bytes at " + dstByteOffset + " into " + dst.bytes());
        cuMemcpyHtoDAsync(dst.pointer().withByteOffset(dstByteOffset), host.withByteOffset(byteOffset), count, cuda.stream);
    }

    /** Queues a copy of {@code count} bytes from {@code src} at {@code srcByteOffset} to {@code byteOffset} here. */
    void downloadAsync(CudaContext cuda, DeviceBuffer src, long srcByteOffset, long byteOffset, long count) {
        check(byteOffset, count);
        if (srcByteOffset + count > src.bytes()) throw new IndexOutOfBoundsException(count + " bytes at " + srcByteOffset + " from " + src.bytes());
        cuMemcpyDtoHAsync(host.withByteOffset(byteOffset), src.pointer().withByteOffset(srcByteOffset), count, cuda.stream);
    }

    /**
     * Queues a copy of a {@code [rows, rowBytes]} block staged at the start of this buffer, row after
     * row, into rows {@code dstPitch} bytes apart from the start of {@code dst}: the used columns of a
     * wider table, in one copy.
     */
    void upload2dAsync(CudaContext cuda, int rows, long rowBytes, DeviceBuffer dst, long dstPitch) {
        check(0, rows * rowBytes);
        if (rowBytes > dstPitch || (rows - 1) * dstPitch + rowBytes > dst.bytes()) {
            throw new IndexOutOfBoundsException(rows + " rows of " + rowBytes + " bytes, pitch " + dstPitch + ", into " + dst.bytes());
        }
        CUDA_MEMCPY2D copy = new CUDA_MEMCPY2D();
        copy.srcMemoryType = CUmemorytype.CU_MEMORYTYPE_HOST;
        copy.srcHost = host;
        copy.srcPitch = rowBytes;
        copy.dstMemoryType = CUmemorytype.CU_MEMORYTYPE_DEVICE;
        copy.dstDevice = dst.pointer();
        copy.dstPitch = dstPitch;
        copy.WidthInBytes = rowBytes;
        copy.Height = rows;
        cuMemcpy2DAsync(copy, cuda.stream);
    }

    private void check(long byteOffset, long count) {
        if (byteOffset < 0 || byteOffset + count > capacity) {
            throw new IndexOutOfBoundsException(count + " bytes at " + byteOffset + " of a pinned buffer of " + capacity);
        }
    }

    @Override
    public void close() {
        if (host != null) cuMemFreeHost(host);
        host = null;
        bytes = null;
        capacity = 0;
    }
}
