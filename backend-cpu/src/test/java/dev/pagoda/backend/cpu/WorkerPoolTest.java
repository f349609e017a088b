package dev.pagoda.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
