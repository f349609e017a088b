package dev.pagoda.engine.chat.jinja;

/**
 * Bounds on one render, so that a hostile or buggy template fails fast instead of hanging or
 * exhausting memory.
 *
 * @param maxOutputChars largest rendered output, and largest string any expression may build
 * @param maxSteps       evaluation steps (expression nodes, statements, loop iterations) per render
 * @param maxDepth       nesting of macro calls and of the template's syntax tree
 */
public record RenderLimits(int maxOutputChars, long maxSteps, int maxDepth) {
    /** Generous for any real chat (megabytes of prompt), tight enough to stop runaway loops in well under a second. */
    public static final RenderLimits DEFAULT = new RenderLimits(16 << 20, 20_000_000L, 100);

    public RenderLimits {
        if (maxOutputChars <= 0 || maxSteps <= 0 || maxDepth <= 0) {
            throw new IllegalArgumentException("render limits must be positive: " + maxOutputChars + ", " + maxSteps + ", " + maxDepth);
        }
    }
}
