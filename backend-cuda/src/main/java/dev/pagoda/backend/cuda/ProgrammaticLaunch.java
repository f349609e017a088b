package dev.pagoda.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Kernel launches with Programmatic Dependent Launch (PDL, Hopper and newer): the driver's
 * {@code cuLaunchKernelEx} with {@code CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION}, called
 * through the JDK's FFM API because JCuda 12.6 does not wrap it.
 *
 * <p><b>Why.</b> A decode step of a small model is ~120 kernels of a few µs each, and between two
 * kernels of a stream the GPU normally drains: the next kernel's blocks are scheduled only after the
 * last block of the previous one has finished and its writes are flushed. With PDL the next kernel
 * is launched as soon as every block of the previous one has run {@code griddepcontrol.launch_dependents}
 * (Common.cuh's {@code allowNextKernel}); its blocks do what does not depend on the previous kernel
 * (Gemv.cu: issue the loads of their weight rows) and then stop at {@code griddepcontrol.wait}
 * ({@code waitForPriorKernels}) until the previous kernel has completed and its memory is visible.
 * Captured into a CUDA graph, the launch becomes a programmatic edge, so graphs keep the overlap.
 *
 * <p><b>The rule every kernel follows</b> (all of them call {@code waitForPriorKernels} before any
 * early return): before the wait, read only what no kernel writes (weights, constants) and write
 * nothing. Chains stay safe: kernel C's wait waits for B, and B completes only after its own wait
 * saw A complete.
 *
 * <p>Arguments are packed into one reused native buffer ({@code kernelParams}: an array of pointers
 * to each value), so a launch allocates nothing; {@link CudaContext#launch} serializes launches.
 */
final class ProgrammaticLaunch {
    /** cuda.h: {@code CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION}. */
    private static final int PROGRAMMATIC_STREAM_SERIALIZATION = 6;
    /** {@code sizeof(CUlaunchConfig)} on x86-64: 7 uints, the stream at 32, attrs at 40, numAttrs at 48. */
    private static final long CONFIG_BYTES = 56;
    /** {@code sizeof(CUlaunchAttribute)}: id (4 bytes, padded to 8), then a 64-byte value union. */
    private static final long ATTRIBUTE_BYTES = 72;
    private static final int MAX_ARGS = 32;

    private static final Optional<MethodHandle> LAUNCH_KERNEL_EX = lookup();

    private final MemorySegment config;     // CUlaunchConfig
    private final MemorySegment attribute;  // one CUlaunchAttribute
    private final MemorySegment params;     // void*[MAX_ARGS]: params[i] points at values[i]
    private final MemorySegment values;     // [MAX_ARGS] 8-byte slots holding the argument values

    private ProgrammaticLaunch() {
        Arena arena = Arena.ofAuto();
        config = arena.allocate(CONFIG_BYTES, 8);
        attribute = arena.allocate(ATTRIBUTE_BYTES, 8);
        params = arena.allocate(8L * MAX_ARGS, 8);
        values = arena.allocate(8L * MAX_ARGS, 8);
        attribute.set(JAVA_INT, 0, PROGRAMMATIC_STREAM_SERIALIZATION);
        attribute.set(JAVA_INT, 8, 1); // value.programmaticStreamSerializationAllowed
        for (int i = 0; i < MAX_ARGS; i++) params.setAtIndex(ADDRESS, i, values.asSlice(8L * i, 8));
        config.set(ADDRESS, 40, attribute);
        config.set(JAVA_INT, 48, 1);
    }

    /** A launcher, or empty when the driver has no {@code cuLaunchKernelEx} (older than CUDA 12.0). */
    static Optional<ProgrammaticLaunch> create() {
        return LAUNCH_KERNEL_EX.map(h -> new ProgrammaticLaunch());
    }

    /** Launches {@code function} (raw {@code CUfunction}) on {@code stream} (raw {@code CUstream}); argument types as {@link CudaContext#launch}. */
    void launch(long function, long stream, int gridX, int gridY, int blockX, int sharedBytes, Object... args) {
        if (args.length > MAX_ARGS) throw new IllegalArgumentException(args.length + " kernel arguments, at most " + MAX_ARGS);
        config.set(JAVA_INT, 0, gridX);
        config.set(JAVA_INT, 4, gridY);
        config.set(JAVA_INT, 8, 1);
        config.set(JAVA_INT, 12, blockX);
        config.set(JAVA_INT, 16, 1);
        config.set(JAVA_INT, 20, 1);
        config.set(JAVA_INT, 24, sharedBytes);
        config.set(JAVA_LONG, 32, stream);
        for (int i = 0; i < args.length; i++) {
            long slot = 8L * i;
            switch (args[i]) {
                case Long l -> values.set(JAVA_LONG, slot, l);
                case Integer n -> values.set(JAVA_INT, slot, n);
                case Float x -> values.set(JAVA_FLOAT, slot, x);
                default -> throw new IllegalArgumentException("kernel argument " + i + " has unsupported type " + args[i].getClass());
            }
        }
        int status;
        try {
            status = (int) LAUNCH_KERNEL_EX.orElseThrow().invokeExact(config, MemorySegment.ofAddress(function), params, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("cuLaunchKernelEx could not be called", t);
        }
        if (status != 0) throw new IllegalStateException("cuLaunchKernelEx failed: CUresult " + status);
    }

    private static Optional<MethodHandle> lookup() {
        try {
            SymbolLookup driver = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            return driver.find("cuLaunchKernelEx").map(symbol -> Linker.nativeLinker().downcallHandle(symbol,
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS)));
        } catch (IllegalArgumentException | UnsatisfiedLinkError e) { // no libcuda.so.1 here
            return Optional.empty();
        }
    }
}
