package dev.pagoda.engine.backend;

/**
 * A device's memory as its driver reports it right now (CUDA's {@code cuMemGetInfo}). "Used"
 * counts everything on the device, this process's weights, workspaces and cache included, and other
 * processes' allocations too, as vLLM's memory profiling does.
 *
 * @param freeBytes  bytes free on the device
 * @param totalBytes the device's memory
 */
public record DeviceMemory(long freeBytes, long totalBytes) {
    public DeviceMemory {
        if (totalBytes <= 0 || freeBytes < 0 || freeBytes > totalBytes) {
            throw new IllegalArgumentException("device memory: free " + freeBytes + " of total " + totalBytes + " bytes is not possible");
        }
    }

    public long usedBytes() {
        return totalBytes - freeBytes;
    }
}
