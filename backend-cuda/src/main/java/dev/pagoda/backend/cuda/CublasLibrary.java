package dev.pagoda.backend.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the system's cuBLAS shared library: {@code $CUDA_HOME}, the usual CUDA install
 * directories ({@code /usr/local/cuda*}), then {@code LD_LIBRARY_PATH} and the system library
 * directories, in that order; in each, {@code libcublas.so.13}, then {@code .so.12}, then
 * {@code libcublas.so}. {@code -Dpagoda.cublas=/path/libcublas.so.13} overrides the search.
 */
final class CublasLibrary {
    private CublasLibrary() {}

    static final String[] NAMES = {"libcublas.so.13", "libcublas.so.12", "libcublas.so"};

    static Path locate() {
        String explicit = System.getProperty("pagoda.cublas");
        if (explicit != null) {
            Path p = Path.of(explicit);
            if (!Files.isReadable(p)) throw new IllegalStateException("cuBLAS: -Dpagoda.cublas=" + explicit + " is not a readable file");
            return p;
        }
        List<Path> dirs = searchDirectories();
        for (Path dir : dirs) {
            for (String name : NAMES) {
                Path p = dir.resolve(name);
                if (Files.isReadable(p)) return p;
            }
        }
        throw new IllegalStateException("cuBLAS: none of " + String.join(", ", NAMES) + " found in " + dirs
                + ". Install the CUDA toolkit, set CUDA_HOME, add its lib64 to LD_LIBRARY_PATH, or pass -Dpagoda.cublas=<file>");
    }

    static List<Path> searchDirectories() {
        Set<Path> dirs = new LinkedHashSet<>();
        String cudaHome = System.getenv("CUDA_HOME");
        if (cudaHome == null) cudaHome = System.getenv("CUDA_PATH");
        if (cudaHome != null) addInstall(dirs, Path.of(cudaHome));
        addInstall(dirs, Path.of("/usr/local/cuda"));
        try (var listing = Files.list(Path.of("/usr/local"))) {
            listing.filter(p -> p.getFileName().toString().startsWith("cuda-")).sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> addInstall(dirs, p));
        } catch (java.io.IOException | RuntimeException ignored) {
            // no /usr/local: nothing to add
        }
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) if (!d.isBlank()) dirs.add(Path.of(d));
        }
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        dirs.add(Path.of("/usr/lib64"));
        dirs.add(Path.of("/usr/lib"));
        return new ArrayList<>(dirs);
    }

    private static void addInstall(Set<Path> dirs, Path home) {
        dirs.add(home.resolve("lib64"));
        dirs.add(home.resolve("targets/x86_64-linux/lib"));
        dirs.add(home.resolve("lib"));
    }
}
