package dev.pagoda.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;

/**
 * Measures device memory bandwidth with a plain copy kernel (CopyBandwidth.cu), timed with CUDA
 * events: the ceiling that decode speed is compared with (decode reads every weight once per step).
 */
final class CopyBandwidth {
    private CopyBandwidth() {}

    /** Bytes read + written per second, the median of {@code repeats} copies of {@code bytes} bytes. */
    static double measure(CudaContext cuda, long bytes, int repeats) {
        CUfunction copy = cuda.function(cuda.loadModule("CopyBandwidth"), "copy_float4");
        DeviceBuffer src = cuda.allocate(bytes), dst = cuda.allocate(bytes);
        cuMemsetD32(src.pointer(), Float.floatToRawIntBits(1.5f), bytes / 4);
        long n4 = bytes / 16;
        int blocks = cuda.attribute(jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT) * 8;
        CUevent start = new CUevent(), stop = new CUevent();
        cuEventCreate(start, 0);
        cuEventCreate(stop, 0);
        double[] seconds = new double[repeats];
        for (int r = -2; r < repeats; r++) { // two warm-up runs
            cuEventRecord(start, cuda.stream);
            cuda.launch(copy, blocks, 1, 256, 0, dst.address(), src.address(), n4);
            cuEventRecord(stop, cuda.stream);
            cuEventSynchronize(stop);
            float[] ms = new float[1];
            cuEventElapsedTime(ms, start, stop);
            if (r >= 0) seconds[r] = ms[0] / 1e3;
        }
        cuEventDestroy(start);
        cuEventDestroy(stop);
        cuda.free(src);
        cuda.free(dst);
        java.util.Arrays.sort(seconds);
        return 2.0 * n4 * 16 / seconds[repeats / 2];
    }
}
