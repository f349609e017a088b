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
 * <p>{@link #forwardAndSample} runs the forward pass and samples its logits where they are, with the
 * host queuing everything before it waits once: the forward pass, the parameters' upload (packed
 * while the GPU runs the forward pass, from pinned memory, {@link PinnedBuffer}), the sampling kernel
 * and the download of the results.
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
    private DeviceBuffer logitsBuffer, work, weights;
    private DeviceBuffer params;   // a step's parameters and edit lists (Staged's layout)
    private DeviceBuffer outputs;  // a step's sampled ids, ranks and logprobs (Staged's layout)
    private final PinnedBuffer stagedParams = new PinnedBuffer(), stagedOutputs = new PinnedBuffer();
    /** Host nanoseconds per phase of {@link #forwardAndSample}, summed (see {@link #stepProfile}). */
    private final long[] phaseNanos = new long[5];
    private long profiledSteps;

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
        long t0 = System.nanoTime();
        // The forward pass is queued first, so that the host packs the sampling parameters while the
        // GPU runs it (packed before it, the GPU waited for them); their upload and the sampling
        // kernel follow it in stream order. The logits stay where they were computed; only token ids
        // and the requested logprobs come back, with one wait for the whole step.
        long logits = backend.forwardOnDevice(batch);
        long t1 = System.nanoTime();
        Staged staged = stage(rows.size(), backend.vocabSize(), rows, uniforms, eosTokenIds);
        long t2 = System.nanoTime();
        phaseNanos[0] += t2 - t1;
        phaseNanos[1] += t1 - t0;
        return launchAndCollect(logits, staged);
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
        return launchAndCollect(logitsAddress, stage(numRows, vocabSize, rows, uniforms, eosTokenIds));
    }

    /**
     * A step's sampling inputs, packed and queued for upload; where the outputs will be.
     *
     * @param logprobsN   {@code [numRows]} the top-N each row asks for (-1: no logprobs)
     * @param numEdits    edit-list entries in use (at least one slot is allocated: {@code e})
     * @param maxLogprobs the row stride of the top-N outputs
     */
    private record Staged(int numRows, int vocabSize, int[] logprobsN, int numEdits, int maxLogprobs) {
        int e() { return Math.max(numEdits, 1); }
        // params (bytes): rowDoubles [numRows, 4] | rowInts [numRows, 8] | editTokens [e] | editFlags [e] | editCounts [e]
        //                 | rowFloats [numRows, 8] | editBias [e]       (doubles first: 8-byte aligned)
        long intsAt() { return 8L * numRows * 4; }
        long floatsAt() { return intsAt() + 4L * (numRows * 8 + 3L * e()); }
        long paramBytes() { return floatsAt() + 4L * (numRows * 8 + e()); }
        // outputs (bytes): tokenIds [numRows] | ranks [numRows] | topIds [numRows, maxLogprobs] | logprobs [numRows] | topValues [numRows, maxLogprobs]
        int outIntCount() { return 2 * numRows + numRows * maxLogprobs; }
        int outFloatCount() { return numRows + numRows * maxLogprobs; }
        long outputBytes() { return 4L * (outIntCount() + outFloatCount()); }
    }

    /** Builds the per-row parameters and edit lists on the host and queues their upload (one copy from pinned memory). */
    private Staged stage(int numRows, int vocabSize, List<SamplingRow> rows, double[] uniforms, Set<Integer> eosTokenIds) {
        if (vocabSize > MAX_VOCAB_SIZE) throw new IllegalArgumentException("vocabulary of " + vocabSize + " exceeds the device sampler's " + MAX_VOCAB_SIZE);
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
        Staged staged = new Staged(numRows, vocabSize, logprobsN, numEdits, maxLogprobs);
        int e = staged.e();
        long rowCells = (long) numRows * vocabSize * Float.BYTES;
        work = ensure(work, rowCells);
        weights = ensure(weights, rowCells);
        params = ensure(params, staged.paramBytes());
        outputs = ensure(outputs, staged.outputBytes());
        stagedParams.ensure(staged.paramBytes());
        stagedOutputs.ensure(staged.outputBytes());
        long ints = staged.intsAt(), floats = staged.floatsAt();
        stagedParams.putDoubles(0, rowDoubles, numRows * 4);
        stagedParams.putInts(ints, rowInts, numRows * 8);
        stagedParams.putInts(ints + 4L * numRows * 8, editTokens, numEdits);
        stagedParams.putInts(ints + 4L * (numRows * 8 + e), editFlags, numEdits);
        stagedParams.putInts(ints + 4L * (numRows * 8 + 2 * e), editCounts, numEdits);
        stagedParams.putFloats(floats, rowFloats, numRows * 8);
        stagedParams.putFloats(floats + 4L * numRows * 8, editBias, numEdits);
        stagedParams.uploadAsync(cuda, 0, params, 0, staged.paramBytes());
        return staged;
    }

    /** Launches Sampling.cu behind whatever is queued (the forward pass), downloads ids and logprobs, waits once. */
    private SampledTokens launchAndCollect(long logitsAddress, Staged staged) {
        long t0 = System.nanoTime();
        int numRows = staged.numRows(), e = staged.e(), maxLogprobs = staged.maxLogprobs();
        long d0 = params.address(), i0 = d0 + staged.intsAt(), f0 = d0 + staged.floatsAt();
        long oi = outputs.address(), of = oi + 4L * staged.outIntCount();
        cuda.launch(sampleRows, numRows, 1, THREADS, 0,
                logitsAddress, work.address(), weights.address(),
                f0, i0, d0,
                i0 + 4L * numRows * 8, f0 + 4L * numRows * 8, i0 + 4L * (numRows * 8 + e), i0 + 4L * (numRows * 8 + 2 * e),
                staged.vocabSize(), maxLogprobs,
                oi, of, oi + 4L * numRows, oi + 8L * numRows, of + 4L * numRows);
        stagedOutputs.downloadAsync(cuda, outputs, 0, 0, staged.outputBytes());
        long t1 = System.nanoTime();
        cuda.synchronize();
        long t2 = System.nanoTime();
        int[] resultInts = new int[staged.outIntCount()];
        float[] resultFloats = new float[staged.outFloatCount()];
        stagedOutputs.getInts(0, resultInts, resultInts.length);
        stagedOutputs.getFloats(4L * staged.outIntCount(), resultFloats, resultFloats.length);

        int[] tokenIds = Arrays.copyOf(resultInts, numRows);
        sampledRows += numRows;
        TokenLogprobs[] logprobs = new TokenLogprobs[numRows];
        for (int r = 0; r < numRows; r++) {
            int n = staged.logprobsN()[r];
            if (n < 0) continue;
            int top = Math.min(n, staged.vocabSize());
            int base = 2 * numRows + r * maxLogprobs, fbase = numRows + r * maxLogprobs;
            logprobs[r] = new TokenLogprobs(tokenIds[r], resultFloats[r], resultInts[numRows + r],
                    Arrays.copyOfRange(resultInts, base, base + top), Arrays.copyOfRange(resultFloats, fbase, fbase + top));
        }
        long t3 = System.nanoTime();
        phaseNanos[2] += t1 - t0;
        phaseNanos[3] += t2 - t1;
        phaseNanos[4] += t3 - t2;
        profiledSteps++;
        return new SampledTokens(tokenIds, logprobs);
    }

    /**
     * Where {@link #forwardAndSample}'s host time went, µs per step: staging the parameters (while the
     * forward pass runs), queuing the forward pass (graph or eager), queuing the sampling kernel and
     * download, waiting for the GPU, reading the results. Resets the sums.
     */
    public String stepProfile() {
        double n = Math.max(1, profiledSteps);
        String s = String.format("device-sampling step host µs: stage %.0f, forward %.0f, sample+download %.0f, wait %.0f, collect %.0f (%d steps)",
                phaseNanos[0] / n / 1e3, phaseNanos[1] / n / 1e3, phaseNanos[2] / n / 1e3, phaseNanos[3] / n / 1e3, phaseNanos[4] / n / 1e3, profiledSteps);
        Arrays.fill(phaseNanos, 0);
        profiledSteps = 0;
        return s;
    }

    /** Frees the pinned staging memory (the device buffers go with the context). */
    void close() {
        stagedParams.close();
        stagedOutputs.close();
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
