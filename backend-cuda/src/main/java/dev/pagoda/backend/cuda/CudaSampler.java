package dev.pagoda.backend.cuda;

import dev.pagoda.engine.backend.DeviceSampler;
import dev.pagoda.engine.backend.ForwardBatch;
import dev.pagoda.engine.backend.Logits;
import dev.pagoda.engine.sampling.SampledTokens;
import dev.pagoda.engine.sampling.SamplingParams;
import dev.pagoda.engine.sampling.SamplingRow;
import dev.pagoda.engine.sampling.TokenLogprobs;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;

/**
 * Launches Sampling.cu: picks one token per logits row on the GPU and copies back only the token
 * ids and the requested logprobs. The CPU {@code Sampler} is the specification (same steps, same
 * order, the same float operations) and the test oracle (CudaSamplerTest): with the same logits,
 * rows and uniforms ({@code Sampler#drawUniforms}: seeded rows from their (seed, output position)
 * counter, so a seed means the same on host and device) greedy and seeded tokens are the CPU's.
 *
 * <p>The sparse part of a row's processing (logit_bias, min_tokens, repetition / frequency /
 * presence penalties) becomes an edit list on the host, one entry per touched token: its bias, its
 * flags (masked by min_tokens; seen in prompt or output) and its count in the output.
 *
 * <p>{@link #forwardAndSample} runs the forward pass and samples its logits on the device. The
 * forward pass today still returns host logits, which are uploaded again here; keeping them on the
 * device (no copy either way) is a change inside CudaForwardPass / DecodeGraphs.
 */
public final class CudaSampler implements DeviceSampler {
    /** Threads per row (Sampling.cu's THREADS). */
    static final int THREADS = 512;
    /** The largest top-N logprobs sampled on the device (N rounds of a block argmax each); more go to the host. */
    public static final int MAX_LOGPROBS = 64;
    /** Sampling.cu keeps one double per 256-token chunk in shared memory: 1024 of them. */
    public static final int MAX_VOCAB_SIZE = 1024 * 256;

    private final CudaContext cuda;
    private final CudaBackend backend; // null: sample() only
    private final CUfunction sampleRows;
    private long sampledRows;
    private DeviceBuffer logitsBuffer, work, weights, ints, floats, doubles, outInts, outFloats;

    CudaSampler(CudaContext cuda, CudaBackend backend) {
        this.cuda = cuda;
        this.backend = backend;
        this.sampleRows = cuda.function(cuda.loadModule("Sampling"), "sample_rows");
    }

    @Override
    public boolean supports(List<SamplingRow> rows) {
        int vocabSize = backend.vocabSize();
        if (vocabSize > MAX_VOCAB_SIZE) return false;
        for (SamplingRow r : rows) if (numLogprobs(r.params(), vocabSize) > MAX_LOGPROBS) return false;
        return true;
    }

    @Override
    public SampledTokens forwardAndSample(ForwardBatch batch, List<SamplingRow> rows, double[] uniforms, Set<Integer> eosTokenIds) {
        if (batch.logitsIndices().length != rows.size()) {
            throw new IllegalArgumentException(batch.logitsIndices().length + " logits rows but " + rows.size() + " sampling rows");
        }
        // The logits stay where they were computed: only token ids and the requested logprobs come back.
        long logits = backend.forwardOnDevice(batch);
        return sample(logits, rows.size(), backend.vocabSize(), rows, uniforms, eosTokenIds);
    }

    /**
     * Samples host logits on the device (uploaded first): what the tests compare with the CPU Sampler.
     *
     * @param logits   {@code [numRows, vocabSize]}
     * @param uniforms {@code [numRows]}
     */
    public SampledTokens sample(Logits logits, List<SamplingRow> rows, double[] uniforms, Set<Integer> eosTokenIds) {
        cuda.makeCurrent();
        int numRows = logits.numRows(), vocabSize = logits.vocabSize();
        if (rows.size() != numRows || uniforms.length != numRows) {
            throw new IllegalArgumentException(numRows + " logits rows, " + rows.size() + " sampling rows, " + uniforms.length + " uniforms");
        }
        if (numRows == 0) return new SampledTokens(new int[0], new TokenLogprobs[0]);
        logitsBuffer = ensure(logitsBuffer, (long) numRows * vocabSize * Float.BYTES);
        cuda.copyToDevice(logitsBuffer, 0, Pointer.to(logits.values()), (long) numRows * vocabSize * Float.BYTES);
        return sample(logitsBuffer.address(), numRows, vocabSize, rows, uniforms, eosTokenIds);
    }

    /**
     * Samples {@code [numRows, vocabSize]} fp32 logits already on the device.
     *
     * @param logitsAddress device address of the logits, row-major
     */
    SampledTokens sample(long logitsAddress, int numRows, int vocabSize, List<SamplingRow> rows, double[] uniforms, Set<Integer> eosTokenIds) {
        if (vocabSize > MAX_VOCAB_SIZE) throw new IllegalArgumentException("vocabulary of " + vocabSize + " exceeds the device sampler's " + MAX_VOCAB_SIZE);
        // Host side: per-row parameters and the edit lists.
        float[] rowFloats = new float[numRows * 8];   // [numRows, 8]
        int[] rowInts = new int[numRows * 8];         // [numRows, 8]
        double[] rowDoubles = new double[numRows * 4]; // [numRows, 4]
        int[] editTokens = new int[16], editFlags = new int[16], editCounts = new int[16];
        float[] editBias = new float[16];
        int numEdits = 0, maxLogprobs = 1;
        int[] logprobsN = new int[numRows];
        for (int r = 0; r < numRows; r++) {
            SamplingRow row = rows.get(r);
            SamplingParams p = row.params();
            int n = numLogprobs(p, vocabSize);
            if (n > MAX_LOGPROBS) throw new IllegalArgumentException("row " + r + ": " + n + " logprobs exceed the device sampler's " + MAX_LOGPROBS);
            logprobsN[r] = n;
            maxLogprobs = Math.max(maxLogprobs, n);
            Map<Integer, Edit> edits = edits(p, row, vocabSize, eosTokenIds);
            int need = numEdits + edits.size();
            if (need > editTokens.length) {
                int cap = Math.max(need, 2 * editTokens.length);
                editTokens = Arrays.copyOf(editTokens, cap);
                editFlags = Arrays.copyOf(editFlags, cap);
                editCounts = Arrays.copyOf(editCounts, cap);
                editBias = Arrays.copyOf(editBias, cap);
            }
            int first = numEdits;
            for (Map.Entry<Integer, Edit> e : edits.entrySet()) {
                editTokens[numEdits] = e.getKey();
                editBias[numEdits] = e.getValue().bias;
                editFlags[numEdits] = e.getValue().flags;
                editCounts[numEdits] = e.getValue().count;
                numEdits++;
            }
            rowFloats[r * 8] = (float) p.temperature();
            rowFloats[r * 8 + 3] = (float) p.repetitionPenalty();
            rowFloats[r * 8 + 4] = (float) p.frequencyPenalty();
            rowFloats[r * 8 + 5] = (float) p.presencePenalty();
            rowDoubles[r * 4] = uniforms[r];
            rowDoubles[r * 4 + 1] = p.minP() > 0 ? Math.log(p.minP()) : Double.NEGATIVE_INFINITY;
            rowDoubles[r * 4 + 2] = p.topP();
            rowInts[r * 8] = p.topK() > 0 && p.topK() < vocabSize ? p.topK() : 0;
            rowInts[r * 8 + 1] = p.greedy() ? 1 : 0;
            rowInts[r * 8 + 2] = p.needsLogitsProcessing() ? 1 : 0;
            rowInts[r * 8 + 3] = n;
            rowInts[r * 8 + 4] = p.logprobsMode().processed() ? 1 : 0;
            rowInts[r * 8 + 5] = p.logprobsMode().logprobs() ? 1 : 0;
            rowInts[r * 8 + 6] = first;
            rowInts[r * 8 + 7] = numEdits;
        }
        int e = Math.max(numEdits, 1);

        // Device side: one int, one float and one double upload; one launch; two downloads.
        //   ints:   rowInts [numRows*8] | editTokens [e] | editFlags [e] | editCounts [e]
        //   floats: rowFloats [numRows*8] | editBias [e]
        //   outInts: tokenIds [numRows] | ranks [numRows] | topIds [numRows*maxLogprobs]
        //   outFloats: logprobs [numRows] | topValues [numRows*maxLogprobs]
        long rowCells = (long) numRows * vocabSize * Float.BYTES;
        work = ensure(work, rowCells);
        weights = ensure(weights, rowCells);
        int[] packedInts = new int[numRows * 8 + 3 * e];
        System.arraycopy(rowInts, 0, packedInts, 0, numRows * 8);
        System.arraycopy(editTokens, 0, packedInts, numRows * 8, numEdits);
        System.arraycopy(editFlags, 0, packedInts, numRows * 8 + e, numEdits);
        System.arraycopy(editCounts, 0, packedInts, numRows * 8 + 2 * e, numEdits);
        float[] packedFloats = new float[numRows * 8 + e];
        System.arraycopy(rowFloats, 0, packedFloats, 0, numRows * 8);
        System.arraycopy(editBias, 0, packedFloats, numRows * 8, numEdits);
        ints = ensure(ints, (long) packedInts.length * Integer.BYTES);
        floats = ensure(floats, (long) packedFloats.length * Float.BYTES);
        doubles = ensure(doubles, (long) rowDoubles.length * Double.BYTES);
        int outIntCount = 2 * numRows + numRows * maxLogprobs, outFloatCount = numRows + numRows * maxLogprobs;
        outInts = ensure(outInts, (long) outIntCount * Integer.BYTES);
        outFloats = ensure(outFloats, (long) outFloatCount * Float.BYTES);
        cuda.copyToDevice(ints, 0, Pointer.to(packedInts), (long) packedInts.length * Integer.BYTES);
        cuda.copyToDevice(floats, 0, Pointer.to(packedFloats), (long) packedFloats.length * Float.BYTES);
        cuda.copyToDevice(doubles, 0, Pointer.to(rowDoubles), (long) rowDoubles.length * Double.BYTES);
        long i0 = ints.address(), f0 = floats.address(), oi = outInts.address(), of = outFloats.address();
        cuda.launch(sampleRows, numRows, 1, THREADS, 0,
                logitsAddress, work.address(), weights.address(),
                f0, i0, doubles.address(),
                i0 + 4L * numRows * 8, f0 + 4L * numRows * 8, i0 + 4L * (numRows * 8 + e), i0 + 4L * (numRows * 8 + 2 * e),
                vocabSize, maxLogprobs,
                oi, of, oi + 4L * numRows, oi + 8L * numRows, of + 4L * numRows);
        cuda.synchronize();
        int[] resultInts = new int[outIntCount];
        float[] resultFloats = new float[outFloatCount];
        JCudaDriver.cuMemcpyDtoH(Pointer.to(resultInts), outInts.pointer(), (long) outIntCount * Integer.BYTES);
        JCudaDriver.cuMemcpyDtoH(Pointer.to(resultFloats), outFloats.pointer(), (long) outFloatCount * Float.BYTES);

        int[] tokenIds = Arrays.copyOf(resultInts, numRows);
        sampledRows += numRows;
        TokenLogprobs[] logprobs = new TokenLogprobs[numRows];
        for (int r = 0; r < numRows; r++) {
            int n = logprobsN[r];
            if (n < 0) continue;
            int top = Math.min(n, vocabSize);
            int base = 2 * numRows + r * maxLogprobs, fbase = numRows + r * maxLogprobs;
            logprobs[r] = new TokenLogprobs(tokenIds[r], resultFloats[r], resultInts[numRows + r],
                    Arrays.copyOfRange(resultInts, base, base + top), Arrays.copyOfRange(resultFloats, fbase, fbase + top));
        }
        return new SampledTokens(tokenIds, logprobs);
    }

    /** Rows sampled so far (how the tests see that the engine took the device path). */
    public long sampledRows() {
        return sampledRows;
    }

    /** The top-N a row asks for: -1 none, the whole vocabulary for -1 (as the CPU Sampler). */
    static int numLogprobs(SamplingParams p, int vocabSize) {
        if (p.logprobs().isEmpty()) return -1;
        return p.logprobs().getAsInt() == -1 ? vocabSize : p.logprobs().getAsInt();
    }

    /** One token's edits: bias added first, flags (1 = masked by min_tokens, 2 = repetition-penalized), output count. */
    private static final class Edit {
        float bias;
        int flags, count;
    }

    /** The row's edits by token, in the CPU's terms (RowSampler.process). */
    static Map<Integer, Edit> edits(SamplingParams p, SamplingRow row, int vocabSize, Set<Integer> eosTokenIds) {
        Map<Integer, Edit> edits = new LinkedHashMap<>();
        for (Map.Entry<Integer, Float> b : p.logitBias().entrySet()) {
            check(b.getKey(), vocabSize, "logit_bias id");
            edits.computeIfAbsent(b.getKey(), k -> new Edit()).bias = b.getValue();
        }
        if (row.numOutputTokens() < p.minTokens()) {
            for (int id : eosTokenIds) if (id >= 0 && id < vocabSize) edits.computeIfAbsent(id, k -> new Edit()).flags |= 1;
            for (int id : p.stopTokenIds()) if (id >= 0 && id < vocabSize) edits.computeIfAbsent(id, k -> new Edit()).flags |= 1;
        }
        if (p.repetitionPenalty() != 1.0) {
            for (int id : row.promptTokenIds()) edits.computeIfAbsent(check(id, vocabSize, "prompt token"), k -> new Edit()).flags |= 2;
            for (int id : row.outputTokenIds()) edits.computeIfAbsent(check(id, vocabSize, "output token"), k -> new Edit()).flags |= 2;
        }
        if (p.frequencyPenalty() != 0 || p.presencePenalty() != 0) {
            for (int id : row.outputTokenIds()) edits.computeIfAbsent(check(id, vocabSize, "output token"), k -> new Edit()).count++;
        }
        return edits;
    }

    private static int check(int id, int vocabSize, String what) {
        if (id < 0 || id >= vocabSize) throw new IllegalArgumentException(what + " " + id + " is outside the vocabulary [0, " + vocabSize + ")");
        return id;
    }

    /** {@code b} if it holds {@code bytes}, else a new buffer (the old one freed) at least that large. */
    private DeviceBuffer ensure(DeviceBuffer b, long bytes) {
        if (b != null && b.bytes() >= bytes) return b;
        cuda.free(b);
        return cuda.allocate(Math.max(bytes, b == null ? 0 : 2 * b.bytes()));
    }
}
