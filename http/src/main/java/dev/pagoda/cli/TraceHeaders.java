package dev.pagoda.cli;

import dev.pagoda.engine.engine.EngineConfig;
import dev.pagoda.engine.engine.LlmEngine;
import dev.pagoda.engine.events.TraceHeader;
import dev.pagoda.engine.model.ModelConfig;
import java.nio.file.Path;

/** The trace header of an engine about to run: the model and the engine's actual configuration (its real block count). */
public final class TraceHeaders {
    private TraceHeaders() {}

    public static TraceHeader of(LlmEngine engine, Path modelDir, ModelConfig model, String device) {
        EngineConfig c = engine.config();
        return new TraceHeader(modelDir.toAbsolutePath().normalize().toString(), model.architecture(), device, c.blockSize(),
                engine.kvCacheSizing().numBlocks(), c.maxNumSeqs(), c.maxNumBatchedTokens(), engine.maxModelLen(), c.enablePrefixCaching(), c.seed());
    }
}
