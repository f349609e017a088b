package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyIndexRunsExactlyOnceLoopAfterLoop() {
        for (int threads : new int[] {1, 2, 3}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int loop = 0; loop < 2000; loop++) {
                    int n = 1 + loop % 97;
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    pool.parallelFor(n, 1 + loop % 5, (worker, start, end) -> {
                        for (int i = start; i < end; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "threads " + threads + " loop " + loop + " index " + i);
                }
            }
        }
    }

    @Test
    void aFailureInAnyChunkReachesTheCallerAndThePoolKeepsWorking() {
        try (WorkerPool pool = new WorkerPool(2)) {
            var e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(100, 1, (worker, start, end) -> {
                if (start <= 77 && 77 < end) throw new IllegalStateException("index 77");
            }));
            assertEquals("index 77", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(50);
            pool.parallelFor(50, 1, (worker, start, end) -> {
                for (int i = start; i < end; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 50; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void regionsCountOnlyLoopsThatUseSeveralThreads() {
        try (WorkerPool pool = new WorkerPool(2)) {
            pool.parallelFor(10, 1, (worker, start, end) -> {});
            pool.parallelFor(10, 10, (worker, start, end) -> {}); // one chunk: run inline
            pool.parallelFor(0, 1, (worker, start, end) -> {});
            assertEquals(1, pool.regions());
        }
    }

    @Test
    void theCallerFinishesAloneWhenAHelperIsStuck() throws Exception {
        // A helper blocked inside a chunk holds only that chunk: the caller takes every other one, then
        // waits (parks) until the helper finishes, and returns with every index done once.
        try (WorkerPool pool = new WorkerPool(2)) {
            var release = new java.util.concurrent.CountDownLatch(1);
            var helperStarted = new java.util.concurrent.CountDownLatch(1);
            AtomicIntegerArray hits = new AtomicIntegerArray(1000);
            java.util.concurrent.atomic.AtomicInteger byCaller = new java.util.concurrent.atomic.AtomicInteger();
            Thread releaser = Thread.ofPlatform().start(() -> {
                try {
                    helperStarted.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    Thread.sleep(100); // long enough for the caller to run out of chunks and park
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                release.countDown();
            });
            pool.parallelFor(1000, 1, (worker, start, end) -> {
                try {
                    if (worker == 1 && helperStarted.getCount() > 0) {
                        helperStarted.countDown();
                        release.await(); // stuck inside its first chunk
                    } else if (worker == 0) {
                        helperStarted.await(10, java.util.concurrent.TimeUnit.SECONDS); // make sure the helper holds a chunk
                        byCaller.addAndGet(end - start);
                    }
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (int i = start; i < end; i++) hits.incrementAndGet(i);
            });
            releaser.join();
            for (int i = 0; i < 1000; i++) assertEquals(1, hits.get(i), "index " + i);
            assertEquals(0, helperStarted.getCount(), "the helper never took a chunk");
            assertTrue(byCaller.get() > 500, "the caller did only " + byCaller.get() + " of 1000 indices while the helper was stuck");
        }
    }
}
