package dev.pagoda.backend.cpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.pagoda.engine.model.DecoderLayerWeights;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The big weight matrices copied once into memory backed by 2 MiB pages (Linux transparent huge
 * pages), where the kernel allows it.
 *
 * <p><b>Why.</b> A decode step streams every weight once. On 4 KB pages that is a TLB miss every
 * 4 KB (250,000 page walks per token for a 1 GB model); on 2 MiB pages one every 2 MiB. Measured on
 * the 2-vCPU dev machine (docs/benchmarks-cpu-decode.md): single-stream decode of the Qwen2.5-0.5B
 * shape ~7 % faster, in every alternated round. The loader maps the safetensors file instead, and the
 * kernel gives a file mapping huge pages only in special set-ups, so the matrices are copied.
 *
 * <p><b>How.</b> An anonymous {@code mmap} (pages not touched yet), {@code madvise(MADV_HUGEPAGE)}
 * on its 2 MiB-aligned part (the THP mode "madvise", the usual default, needs the hint; "always"
 * does it anyway), then the copy, which faults in whole 2 MiB pages. {@link #close} unmaps them.
 * Tensors under 2 MiB stay where they are. Numbers do not change: the same bytes, elsewhere.
 * Off with {@code -Dpagoda.cpu.hugePages=false}, or where THP is "never" or the calls are missing.
 */
final class HugePages implements AutoCloseable {
    static final long PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2, MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20, MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP, MUNMAP, MADVISE;

    static {
        Linker linker = Linker.nativeLinker();
        MethodHandle mmap = null, munmap = null, madvise = null;
        try {
            mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                    FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
            munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            madvise = linker.downcallHandle(linker.defaultLookup().find("madvise").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        } catch (RuntimeException e) { // not Linux / no libc symbols: stay on the loader's memory
            mmap = munmap = madvise = null;
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private final Arena arena = Arena.ofShared();

    /** Whether copying helps here: the switch is on, libc has the calls, and THP is not "never". */
    static boolean available() {
        if ("false".equals(System.getProperty("pagoda.cpu.hugePages")) || MMAP == null) return false;
        try {
            String mode = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
            return mode.contains("[always]") || mode.contains("[madvise]");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** {@code w} with every tensor of at least {@link #PAGE} bytes copied onto huge pages (a tied lm_head stays tied). */
    ModelWeights place(ModelWeights w) {
        List<DecoderLayerWeights> layers = new ArrayList<>();
        for (DecoderLayerWeights l : w.layers()) {
            layers.add(new DecoderLayerWeights(l.inputLayernorm(), place(l.qProj()), place(l.kProj()), place(l.vProj()), l.qBias(), l.kBias(),
                    l.vBias(), l.qNorm(), l.kNorm(), place(l.oProj()), l.postAttentionLayernorm(), place(l.gateProj()), place(l.upProj()),
                    place(l.downProj())));
        }
        Tensor embed = place(w.embedTokens());
        return new ModelWeights(embed, layers, w.norm(), w.lmHead() == w.embedTokens() ? embed : place(w.lmHead()));
    }

    /** {@code t} copied onto huge pages, or {@code t} itself when it is smaller than one. */
    Tensor place(Tensor t) {
        long bytes = t.data().byteSize();
        if (bytes < PAGE) return t;
        MemorySegment copy = allocate(bytes);
        copy.copyFrom(t.data());
        return new Tensor(t.name(), t.dtype(), t.shape(), copy);
    }

    /** {@code bytes} of fresh memory starting on a 2 MiB boundary, advised to use huge pages, unmapped on {@link #close}. */
    MemorySegment allocate(long bytes) {
        long mapped = (bytes + PAGE - 1) / PAGE * PAGE + PAGE; // one page more, to start on a boundary
        try {
            MemorySegment raw = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, mapped, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (raw.address() == -1L) throw new OutOfMemoryError("mmap of " + mapped + " bytes for the model's weights failed");
            MemorySegment mapping = raw.reinterpret(mapped, arena, HugePages::unmap);
            long skip = (PAGE - raw.address() % PAGE) % PAGE;
            MemorySegment aligned = mapping.asSlice(skip, mapped - PAGE);
            int ignored = (int) MADVISE.invokeExact(aligned, aligned.byteSize(), MADV_HUGEPAGE); // a refused hint leaves 4 KB pages: still correct
            return aligned.asSlice(0, bytes);
        } catch (OutOfMemoryError e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("mmap/madvise through FFM failed", e);
        }
    }

    private static void unmap(MemorySegment mapping) {
        try {
            int ignored = (int) MUNMAP.invokeExact(mapping, mapping.byteSize());
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed", e);
        }
    }

    /** Unmaps every copy; the tensors {@link #place} returned must not be read after this. */
    @Override
    public void close() {
        arena.close();
    }

    static Optional<HugePages> ifAvailable() {
        return available() ? Optional.of(new HugePages()) : Optional.empty();
    }
}
