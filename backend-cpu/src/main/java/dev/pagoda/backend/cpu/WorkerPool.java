package dev.pagoda.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that share out the index range of one loop: {@code parallelFor(n, task)}
 * runs {@code task} over {@code [0, n)} cut into chunks that the threads claim in turn.
 *
 * <p>Why not a {@code ForkJoinPool}: a decode step of a 24-layer model starts 121 parallel loops
 * (5 per layer and lm_head), many only tens of microseconds long, so the hand-off must be cheap.
 * The calling thread works too (it is worker 0); the others spin briefly between loops and then park.
 *
 * <p>The caller waits for the <em>chunks</em>, not for the helpers: a helper that is slow to wake
 * (a busy, shared machine) simply finds no work left, and the caller never waits for a thread
 * that has not started anything. Each loop is a fresh {@link Job}, so a late helper can only
 * see an exhausted old job or the current one, never a mix of the two. What it cannot do is take
 * back a chunk that a helper claimed and was then descheduled in the middle of: the caller parks
 * until that helper runs again and finishes it (the cost of a busy neighbour, docs/benchmarks-cpu-decode.md).
 *
 * <p>Results never depend on how the range was split: every index is computed by exactly one
 * thread with the same code, so the chunk size only balances load.
 * One caller at a time (the forward pass is single-threaded at the top).
 */
final class WorkerPool implements AutoCloseable {

    /** The body of a parallel loop: process indices {@code [start, end)} as worker {@code worker}. */
    @FunctionalInterface
    interface RangeTask {
        void run(int worker, int start, int end);
    }

    /**
     * One parallel loop: its range, its chunking and its progress.
     *
     * <p>Chunks shrink as the range runs out ("guided" scheduling): each claim takes
     * {@code remaining / (2 × threads)} indices, at least {@code minChunk}. Large first chunks keep
     * the claims few; the small last ones mean that when one thread finishes, the other has at most a
     * small piece left, so neither waits long for the other at the end of the loop.
     */
    private static final class Job {
        final RangeTask task;
        final int size, minChunk, divisor;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger(); // indices finished
        volatile Throwable failure;

        Job(RangeTask task, int size, int minChunk, int numThreads, Thread caller) {
            this.task = task;
            this.size = size;
            this.minChunk = minChunk;
            this.divisor = 2 * numThreads;
            this.caller = caller;
        }

        /** Claims and runs chunks until none are left. */
        void work(int worker) {
            while (true) {
                int start = next.get();
                if (start >= size) return;
                int end = Math.min(size, start + Math.max(minChunk, (size - start) / divisor));
                if (!next.compareAndSet(start, end)) continue;
                try {
                    if (failure == null) task.run(worker, start, end);
                } catch (Throwable t) {
                    failure = t; // the remaining chunks are skipped, but still counted as done
                }
                if (done.addAndGet(end - start) == size && Thread.currentThread() != caller) LockSupport.unpark(caller);
            }
        }
    }

    /** How long an idle helper busy-waits for the next loop before parking (iterations of onSpinWait, ~20 ns each here). */
    private static final int SPIN_ITERATIONS = 1 << 12;
    /** How long the caller busy-waits for a chunk to finish before it assumes the helper was descheduled and parks. */
    private static final int STALL_SPINS = 1 << 9;

    private final int numThreads;
    private final Thread[] workers; // numThreads - 1 helpers; the caller is worker 0
    private volatile Job job;
    private final AtomicLong generation = new AtomicLong(); // bumped once per loop
    private volatile boolean closed;
    private long regions; // parallel loops started (by the one caller), for profiles

    WorkerPool(int numThreads) {
        if (numThreads < 1) throw new IllegalArgumentException("numThreads must be >= 1, got " + numThreads);
        this.numThreads = numThreads;
        this.workers = new Thread[numThreads - 1];
        for (int i = 0; i < workers.length; i++) {
            int worker = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("pagoda-cpu-" + worker).start(() -> workLoop(worker));
        }
    }

    int numThreads() {
        return numThreads;
    }

    /** Parallel loops started so far that used more than one thread: each ends with a wait for every chunk. */
    long regions() {
        return regions;
    }

    /**
     * Runs {@code task} over {@code [0, n)} on all threads and returns when every index is done.
     * {@code minChunk} is the smallest useful chunk (e.g. enough matrix rows to amortize the hand-off).
     */
    void parallelFor(int n, int minChunk, RangeTask task) {
        if (n <= 0) return;
        if (numThreads == 1 || minChunk >= n) {
            task.run(0, 0, n);
            return;
        }
        regions++;
        Job j = new Job(task, n, Math.max(1, minChunk), numThreads, Thread.currentThread());
        job = j;
        generation.incrementAndGet();
        for (Thread w : workers) LockSupport.unpark(w);
        j.work(0);
        awaitChunks(j);
        Throwable t = j.failure;
        if (t != null) {
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException(t);
        }
    }

    /**
     * Waits for the chunks other threads still hold. Spins while they make progress (a chunk ends
     * every few microseconds), parks as soon as they stop: a helper that does not finish a chunk
     * within {@link #STALL_SPINS} has most likely been descheduled by a busy neighbour, and the
     * core this thread would spin on is exactly what it needs to run again. The thread that finishes
     * the last chunk unparks this one.
     */
    private static void awaitChunks(Job j) {
        int seen = j.done.get(), spins = 0;
        while (seen != j.size) {
            if (spins++ < STALL_SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(j);
            }
            int now = j.done.get();
            if (now != seen) {
                seen = now;
                spins = 0;
            }
        }
    }

    private void workLoop(int worker) {
        long seen = 0;
        while (true) {
            int spins = 0;
            long g;
            while ((g = generation.get()) == seen) {
                if (closed) return;
                if (spins++ < SPIN_ITERATIONS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            seen = g;
            job.work(worker);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
