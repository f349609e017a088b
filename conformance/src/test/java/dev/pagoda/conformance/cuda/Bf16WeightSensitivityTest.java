package dev.pagoda.conformance.cuda;

import dev.pagoda.backend.cuda.ConformanceBatches;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagoda.backend.cuda.CudaTolerances;
import dev.pagoda.backend.cuda.LogitComparison;
import dev.pagoda.engine.backend.BackendOptions;
import dev.pagoda.engine.backend.ComputeBackend;
import dev.pagoda.engine.backend.ComputeBackends;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.DecoderLayerWeights;
import dev.pagoda.engine.model.LoadFormat;
import dev.pagoda.engine.model.LoadedModel;
import dev.pagoda.engine.model.ModelLoader;
import dev.pagoda.engine.model.ModelWeights;
import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How far the CPU reference itself moves when only its matrices are rounded to bf16, as the GPU
 * keeps them (norm weights and biases stay fp32 there too). No GPU needed: this is the part of the
 * CUDA-vs-CPU difference that is precision, not a bug, and it is why {@link CudaTolerances} are
 * what they are. The test prints the figures and checks that rounding does perturb F32/F16 models
 * (so the comparison is real) while leaving BF16 checkpoints bit-identical.
 */
class Bf16WeightSensitivityTest {

    static java.util.stream.Stream<Named<Path>> models() throws java.io.IOException {
        return CudaConformanceTest.models();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void roundingMatricesToBf16MovesTheCpuLogits(Path modelDir) {
        int blockSize = 16, seqLen = CudaConformanceTest.SEQ_LEN;
        try (LoadedModel model = ModelLoader.load(modelDir, LoadFormat.SAFETENSORS); Arena arena = Arena.ofShared();
             ComputeBackend exact = ComputeBackends.create("cpu", BackendOptions.defaults());
             ComputeBackend rounded = ComputeBackends.create("cpu", BackendOptions.defaults())) {
            exact.loadModel(model.config(), model.weights());
            rounded.loadModel(model.config(), roundMatrices(model.weights(), arena));
            exact.allocateKvCache(CudaConformanceTest.NUM_BLOCKS, blockSize);
            rounded.allocateKvCache(CudaConformanceTest.NUM_BLOCKS, blockSize);
            int[] tokens = ConformanceBatches.randomTokens(seqLen, model.config().vocabSize(), 6 + blockSize);
            int[] table = ConformanceBatches.scatteredTables(new int[] {seqLen}, blockSize, CudaConformanceTest.NUM_BLOCKS, blockSize).get(0);
            ForwardBatch prefill = ConformanceBatches.step(blockSize, List.of(new ConformanceBatches.Seq(tokens, table)), new int[] {0}, new int[] {seqLen});
            Logits a = exact.forward(prefill), b = rounded.forward(prefill);
            double rel = 0, kl = 0;
            int agree = 0;
            for (int r = 0; r < a.numRows(); r++) {
                LogitComparison c = LogitComparison.of(b.row(r), a.row(r));
                rel = Math.max(rel, c.relativeError());
                kl = Math.max(kl, c.klDivergence());
                if (c.cudaArgmax() == c.cpuArgmax()) agree++;
            }
            System.out.printf("%-24s %s checkpoint: CPU with bf16-rounded matrices vs CPU: max rel %.2e  max KL %.2e  argmax %d/%d%n",
                    modelDir.getFileName(), model.config().dtype(), rel, kl, agree, a.numRows());
            if (model.weights().embedTokens().dtype() == DType.BF16) {
                assertTrue(rel == 0, "a bf16 checkpoint must be unchanged by bf16 rounding, got rel " + rel);
            } else {
                assertTrue(rel > 0, "rounding an " + model.config().dtype() + " checkpoint to bf16 changed nothing: the comparison is not real");
            }
        }
    }

    /** The weights with every matrix rounded to bf16 (and widened back to its dtype's container as F32). */
    static ModelWeights roundMatrices(ModelWeights w, Arena arena) {
        List<DecoderLayerWeights> layers = new ArrayList<>();
        for (DecoderLayerWeights l : w.layers()) {
            layers.add(new DecoderLayerWeights(l.inputLayernorm(), round(l.qProj(), arena), round(l.kProj(), arena), round(l.vProj(), arena),
                    l.qBias(), l.kBias(), l.vBias(), l.qNorm(), l.kNorm(), round(l.oProj(), arena), l.postAttentionLayernorm(),
                    round(l.gateProj(), arena), round(l.upProj(), arena), round(l.downProj(), arena)));
        }
        Tensor embed = round(w.embedTokens(), arena);
        Tensor lmHead = w.lmHead() == w.embedTokens() ? embed : round(w.lmHead(), arena);
        return new ModelWeights(embed, layers, w.norm(), lmHead);
    }

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static Tensor round(Tensor t, Arena arena) {
        if (t.dtype() == DType.BF16) return t;
        long n = t.numElements();
        MemorySegment out = arena.allocate(n * 2, 64);
        for (long i = 0; i < n; i++) {
            float f = t.dtype() == DType.F32 ? t.data().getAtIndex(FLOAT_LE, i) : Float.float16ToFloat(t.data().getAtIndex(SHORT_LE, i));
            int bits = Float.floatToRawIntBits(f);
            out.setAtIndex(SHORT_LE, i, (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16)); // round to nearest even
        }
        return new Tensor(t.name(), DType.BF16, t.shape(), out);
    }
}
