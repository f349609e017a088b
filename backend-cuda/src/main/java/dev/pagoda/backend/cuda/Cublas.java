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
import java.nio.file.Path;

/**
 * The few cuBLAS calls the backend needs, through the JDK's FFM API (JCublas 12.6 does not load
 * against CUDA 13: it wants {@code libcublas.so.12}). The library is found by {@link CublasLibrary}.
 *
 * <p>All matrices are row-major on our side; cuBLAS is column-major. A row-major {@code [rows, cols]}
 * matrix is the column-major {@code [cols, rows]} one, so {@code out = x · wᵀ} (a linear layer) is
 * computed as the column-major {@code outᵀ = w' · xᵀ} with {@code w'} = op_T of w's column-major view.
 */
final class Cublas implements AutoCloseable {
    // cublasOperation_t, cudaDataType, cublasComputeType_t, cublasGemmAlgo_t (cublas_api.h, library_types.h)
    private static final int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
    static final int CUDA_R_32F = 0, CUDA_R_16BF = 14;
    private static final int CUBLAS_COMPUTE_32F = 68;
    private static final int CUBLAS_GEMM_DEFAULT = -1;

    private final Path library;
    private final MethodHandle destroy;
    private final MethodHandle setWorkspace;
    private final MethodHandle gemmEx;
    private final MemorySegment handle;
    private final MemorySegment one;
    private final MemorySegment zero;
    private final Arena arena = Arena.ofShared();

    /** Creates a handle whose work goes to {@code stream} (a raw {@code CUstream}). */
    Cublas(long stream) {
        library = CublasLibrary.locate();
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
        MethodHandle create = linker.downcallHandle(find(lib, "cublasCreate_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle setStream = linker.downcallHandle(find(lib, "cublasSetStream_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroy = linker.downcallHandle(find(lib, "cublasDestroy_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setWorkspace = linker.downcallHandle(find(lib, "cublasSetWorkspace_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
        gemmEx = linker.downcallHandle(find(lib, "cublasGemmEx"), FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        one = arena.allocateFrom(JAVA_FLOAT, 1f);
        zero = arena.allocateFrom(JAVA_FLOAT, 0f);
        MemorySegment handleOut = arena.allocate(ADDRESS);
        check("cublasCreate_v2", invokeInt(create, handleOut));
        handle = handleOut.get(ADDRESS, 0);
        check("cublasSetStream_v2", invokeInt(setStream, handle, MemorySegment.ofAddress(stream)));
    }

    /**
     * Gives cuBLAS a workspace of our own, so that it never allocates while a CUDA graph is being
     * captured (allocation is not allowed during capture).
     *
     * @param workspace device address of {@code bytes} bytes that live as long as this handle
     */
    void setWorkspace(long workspace, long bytes) {
        check("cublasSetWorkspace_v2", invokeInt(setWorkspace, handle, MemorySegment.ofAddress(workspace), bytes));
    }

    Path library() {
        return library;
    }

    /**
     * A linear layer without bias: {@code out = x · weightᵀ}, bf16 inputs, fp32 accumulation.
     *
     * @param out     {@code [numRows, outFeatures]} device address, {@code outType} ({@link #CUDA_R_32F} or {@link #CUDA_R_16BF})
     * @param x       {@code [numRows, inFeatures]} bf16
     * @param weight  {@code [outFeatures, inFeatures]} bf16 (PyTorch's layout)
     */
    void linear(long out, int outType, long x, long weight, int numRows, int outFeatures, int inFeatures) {
        int status;
        try { // invokeExact: no boxing or argument adaptation on a call made ~100 times per decode step
            status = (int) gemmEx.invokeExact(handle, CUBLAS_OP_T, CUBLAS_OP_N, outFeatures, numRows, inFeatures,
                    one, MemorySegment.ofAddress(weight), CUDA_R_16BF, inFeatures,
                    MemorySegment.ofAddress(x), CUDA_R_16BF, inFeatures,
                    zero, MemorySegment.ofAddress(out), outType, outFeatures,
                    CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        } catch (Throwable t) {
            throw new IllegalStateException("cublasGemmEx call failed: " + t, t);
        }
        if (status != 0) {
            check("cublasGemmEx(" + numRows + " x " + inFeatures + " · [" + outFeatures + ", " + inFeatures + "]ᵀ)", status);
        }
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new IllegalStateException("cuBLAS: symbol " + name + " not found"));
    }

    private static int invokeInt(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new IllegalStateException("cuBLAS call failed: " + t, t);
        }
    }

    private static void check(String call, int status) {
        if (status != 0) throw new IllegalStateException("cuBLAS: " + call + " returned status " + status + statusName(status));
    }

    private static String statusName(int status) {
        return switch (status) {
            case 1 -> " (NOT_INITIALIZED)";
            case 3 -> " (ALLOC_FAILED)";
            case 7 -> " (INVALID_VALUE)";
            case 8 -> " (ARCH_MISMATCH)";
            case 13 -> " (EXECUTION_FAILED)";
            case 14 -> " (INTERNAL_ERROR)";
            case 15 -> " (NOT_SUPPORTED)";
            default -> "";
        };
    }

    @Override
    public void close() {
        invokeInt(destroy, handle);
        arena.close();
    }
}
