package dev.pagoda.backend.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * One allocation of device memory.
 *
 * @param pointer JCuda's handle, for copies
 * @param address the raw device address, for kernel arguments and cuBLAS (see {@link CudaContext#rawAddress})
 * @param bytes   size in bytes
 */
record DeviceBuffer(CUdeviceptr pointer, long address, long bytes) {

    /** The device address {@code byteOffset} bytes into this buffer. */
    long at(long byteOffset) {
        if (byteOffset < 0 || byteOffset > bytes) {
            throw new IndexOutOfBoundsException("byte offset " + byteOffset + " outside a buffer of " + bytes + " bytes");
        }
        return address + byteOffset;
    }
}
