package dev.pagoda.engine.events;

/**
 * Told what every engine step decided (an observer at the {@code LlmEngine}/{@code Scheduler} seam).
 * Called on the engine thread right after the step: an implementation must return quickly and
 * never block (hand the event to another thread if it has real work to do). The event is immutable.
 * While no listener is registered, the engine builds no events at all.
 */
@FunctionalInterface
public interface EngineStepListener {
    void onStep(EngineStepEvent event);
}
