package dev.pagoda.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import org.junit.jupiter.api.Test;

/**
 * Runs without a GPU (CI): where nvcc is on the PATH, the build must have packaged the PTX of every
 * kernel; where it is not, the backend must say its kernels were not built.
 */
class KernelsBuiltTest {
    static final String[] KERNELS = {"Embedding", "RmsNorm", "RotaryKvCache", "PagedAttention", "Activation", "CopyBandwidth", "Gemv", "PagedAttentionDecode"};

    static boolean nvccOnPath() {
        if ("none".equals(System.getenv("NVCC"))) return false; // compile-kernels.sh was told to build without
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, "nvcc").canExecute()) return true;
        }
        return false;
    }

    @Test
    void ptxOfEveryKernelIsPackagedWhenNvccIsPresent() {
        assumeTrue(nvccOnPath() || ("true".equals(System.getenv("CI")) && !"none".equals(System.getenv("NVCC"))), "nvcc not on the PATH: kernels are not built here");
        assertTrue(CudaContext.kernelsBuilt(), "nvcc is on the PATH but the jar has no kernels");
        for (String k : KERNELS) {
            for (String arch : new String[] {"compute_80", "compute_90"}) {
                String resource = CudaContext.PTX_DIR + k + "." + arch + ".ptx";
                assertTrue(getClass().getResource(resource) != null, "missing " + resource);
            }
        }
    }

    @Test
    void backendSaysWhenKernelsAreMissing() {
        assumeTrue(!CudaContext.kernelsBuilt(), "kernels are built here");
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, CudaContext::requireKernelsBuilt);
        assertTrue(e.getMessage().contains("kernels were not built"), e.getMessage());
    }

    @Test
    void cublasSearchCoversCudaHomeAndUsualPaths() {
        var dirs = CublasLibrary.searchDirectories().stream().map(Object::toString).toList();
        assertTrue(dirs.contains("/usr/local/cuda/lib64"), dirs.toString());
        assertTrue(dirs.contains("/usr/local/cuda/targets/x86_64-linux/lib"), dirs.toString());
    }
}
