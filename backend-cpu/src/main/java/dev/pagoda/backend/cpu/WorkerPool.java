package dev.pagoda.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that share out the index range of one loop: {@code parallelFor(n, task)}
 * runs {@code task} over {@code [0, n)} cut into small chunks that the threads take in turn.
 *
 * <p>Why not a {@code ForkJoinPool}: a decode step of a 24-layer model starts ~120 parallel loops,
 * each only tens of microseconds long, so the hand-off must be cheap and must not allocate. The
 * calling thread works too (it is worker 0); the others spin briefly between loops and then park.
 *
 * <p>Results never depend on how the range was split: every index is computed by exactly one
 * thread with the same code, so the chunk size only balances load (useful on a shared machine).
 * One caller at a time (the forward pass is single-threaded at the top).
 */
final class WorkerPool implements AutoCloseable {

    /** The body of a parallel loop: process indices {@code [start, end)} as worker {@code worker}. */
    @FunctionalInterface
    interface RangeTask {
        void run(int worker, int start, int end);
    }

    /** How long an idle worker busy-waits for the next loop before parking (iterations of onSpinWait). */
    private static final int SPIN_ITERATIONS = 1 << 14;

    private final int numThreads;
    private final Thread[] workers; // numThreads - 1 helpers; the caller is worker 0
    private final AtomicLong generation = new AtomicLong(); // bumped once per loop
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger(); // helpers still inside the current loop
    private volatile RangeTask task;
    private volatile int size;
    private volatile int chunkSize;
    private volatile Thread caller;
    private volatile boolean closed;
    private volatile Throwable failure;

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

    /**
     * Runs {@code task} over {@code [0, n)} on all threads and returns when every index is done.
     * {@code minChunk} is the smallest useful chunk (e.g. enough matrix rows to amortize the hand-off).
     */
    void parallelFor(int n, int minChunk, RangeTask task) {
        if (n <= 0) return;
        // ~4 chunks per thread: small enough to balance, large enough to keep the atomic cheap.
        int chunk = Math.max(minChunk, (n + 4 * numThreads - 1) / (4 * numThreads));
        if (numThreads == 1 || chunk >= n) {
            task.run(0, 0, n);
            return;
        }
        this.task = task;
        this.size = n;
        this.chunkSize = chunk;
        this.caller = Thread.currentThread();
        this.failure = null;
        nextChunk.set(0);
        running.set(workers.length);
        generation.incrementAndGet(); // publishes the fields above to the helpers
        for (Thread w : workers) LockSupport.unpark(w);
        try {
            runChunks(0);
        } catch (Throwable t) {
            failure = t;
            nextChunk.set(Integer.MAX_VALUE / 2); // stop handing out work, but still wait for the helpers
        }
        int spins = 0;
        while (running.get() != 0) {
            if (spins++ < SPIN_ITERATIONS) Thread.onSpinWait();
            else LockSupport.park(this);
        }
        this.task = null;
        Throwable t = failure;
        if (t != null) {
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException(t);
        }
    }

    private void runChunks(int worker) {
        RangeTask t = task;
        int n = size, chunk = chunkSize;
        for (int start; (start = nextChunk.getAndAdd(chunk)) < n; ) {
            t.run(worker, start, Math.min(n, start + chunk));
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
            try {
                runChunks(worker);
            } catch (Throwable t) {
                failure = t;
                nextChunk.set(Integer.MAX_VALUE / 2); // stop handing out work
            }
            if (running.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
