package dev.pagoda.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StopCheckerTest {
    private static final List<Integer> EOS = List.of(2, 32000);
    private static final int PROMPT = 10;

    private static StopChecker checker(SamplingParams.Builder b) {
        return new StopChecker(b.build(), EOS, 100);
    }

    /** checkToken for the n-th output token (1-based) after a 10-token prompt. */
    private static Optional<Finish> token(StopChecker c, int tokenId, int numOutputTokens) {
        return c.checkToken(tokenId, numOutputTokens, PROMPT + numOutputTokens);
    }

    @Test
    void eosStopsUnlessIgnored() {
        Finish f = token(checker(SamplingParams.builder()), 32000, 1).orElseThrow();
        assertEquals(FinishReason.STOP, f.reason());
        assertNull(f.stopReason(), "EOS has no stop_reason in vLLM");
        assertTrue(f.omitTokenText());
        assertTrue(token(checker(SamplingParams.builder().ignoreEos(true)), 2, 1).isEmpty());
        assertTrue(token(checker(SamplingParams.builder()), 5, 1).isEmpty());
    }

    @Test
    void stopTokenIdsStopEvenWithIgnoreEos() {
        Finish f = token(checker(SamplingParams.builder().stopTokenIds(7).ignoreEos(true)), 7, 3).orElseThrow();
        assertEquals(FinishReason.STOP, f.reason());
        assertEquals(7, f.stopReason());
        assertTrue(f.omitTokenText());
        assertFalse(token(checker(SamplingParams.builder().stopTokenIds(7).includeStopStrInOutput(true)), 7, 3).orElseThrow().omitTokenText());
    }

    @Test
    void minTokensDelaysStops() {
        StopChecker c = checker(SamplingParams.builder().minTokens(3).stopTokenIds(7).stop("x"));
        assertTrue(token(c, 2, 2).isEmpty());
        assertTrue(token(c, 7, 2).isEmpty());
        assertEquals(FinishReason.STOP, token(c, 7, 3).orElseThrow().reason());
        assertTrue(c.checkStopStrings("abx", 1, 3).isEmpty(), "stop strings need more than min_tokens tokens (vLLM)");
        assertTrue(c.checkStopStrings("abx", 1, 4).isPresent());
    }

    @Test
    void lengthCaps() {
        StopChecker c = checker(SamplingParams.builder().maxTokens(4));
        assertTrue(token(c, 5, 3).isEmpty());
        Finish f = token(c, 5, 4).orElseThrow();
        assertEquals(FinishReason.LENGTH, f.reason());
        assertNull(f.stopReason());
        assertEquals(FinishReason.STOP, token(c, 2, 4).orElseThrow().reason(), "EOS on the last allowed step is a stop");
        StopChecker unlimited = checker(SamplingParams.builder());
        assertTrue(unlimited.checkToken(5, 89, 99).isEmpty());
        assertEquals(FinishReason.LENGTH, unlimited.checkToken(5, 90, 100).orElseThrow().reason(), "max_model_len reached");
        StopChecker minAll = new StopChecker(SamplingParams.builder().minTokens(50).build(), EOS, 20);
        assertEquals(FinishReason.LENGTH, minAll.checkToken(5, 10, 20).orElseThrow().reason(), "min_tokens never overruns the context");
    }

    @Test
    void stopStringsCutTheText() {
        StopChecker c = checker(SamplingParams.builder().stop("END", "\n\n"));
        assertTrue(c.checkStopStrings("Hello EN", 2, 3).isEmpty());
        Finish f = c.checkStopStrings("Hello END and", 5, 4).orElseThrow(); // "END" straddles the old text and the delta
        assertEquals(FinishReason.STOP, f.reason());
        assertEquals("END", f.stopReason());
        assertEquals("Hello ", f.truncate("Hello END and"));
        assertFalse(f.omitTokenText());
        Finish included = checker(SamplingParams.builder().stop("END").includeStopStrInOutput(true))
                .checkStopStrings("Hello END and", 5, 4).orElseThrow();
        assertEquals("Hello END", included.truncate("Hello END and"));
        assertTrue(c.checkStopStrings("END was earlier", 3, 9).isEmpty(), "only the region the delta could complete is searched");
        Finish earliest = c.checkStopStrings("a\n\nb END", 8, 5).orElseThrow();
        assertEquals("\n\n", earliest.stopString(), "the earliest match wins");
        assertEquals("a", earliest.truncate("a\n\nb END"));
    }

    @Test
    void stopStringsAreFoundInALongTextByItsTail() {
        // Completion passes its StringBuilder; only the tail a stop string could end in is read, with absolute offsets.
        StopChecker c = checker(SamplingParams.builder().stop("END", "xy"));
        StringBuilder text = new StringBuilder("END ".repeat(500)); // stop strings far back: found in earlier steps
        text.append("and E");
        assertTrue(c.checkStopStrings(text, 5, 6).isEmpty());
        text.append("ND!");
        Finish f = c.checkStopStrings(text, 3, 7).orElseThrow();
        assertEquals("END", f.stopString());
        assertEquals(2004, f.textLength(), "the offset counts from the start of the whole text (\"END \" × 500, \"and \")");
        text.setLength(2004);
        text.append("x");
        assertTrue(c.checkStopStrings(text, 1, 8).isEmpty());
        text.append("yEND");
        assertEquals("xy", c.checkStopStrings(text, 4, 9).orElseThrow().stopString(), "the earliest of two in the window");
        assertEquals(2004, c.checkStopStrings(text, 4, 9).orElseThrow().textLength());
    }

    @Test
    void holdBackCoversAPartialStopString() {
        assertEquals(3, checker(SamplingParams.builder().stop("ab", "STOP")).holdBackChars());
        assertEquals(0, checker(SamplingParams.builder().stop("STOP").includeStopStrInOutput(true)).holdBackChars());
        assertEquals(0, checker(SamplingParams.builder()).holdBackChars());
    }
}
