/**
 * What the engine decided, step by step, for whoever watches: the live view, trace files, tests.
 *
 * <p>An {@link dev.pagoda.engine.events.EngineStepEvent} is the union of what vLLM spreads over its
 * {@code SchedulerStats} (counters), its KV-cache events ({@code BlockStored}/{@code BlockRemoved},
 * here a whole {@link dev.pagoda.engine.events.KvCacheSnapshot} so that an observer needs no state)
 * and its scheduler output, plus the one thing vLLM does not say: <em>why</em>
 * ({@link dev.pagoda.engine.events.SchedulerDecision#reason()}). Listeners are called on the engine
 * thread and must not block; with none registered, the engine builds no event at all.
 */
package dev.pagoda.engine.events;
