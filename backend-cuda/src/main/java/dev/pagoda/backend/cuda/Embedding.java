package dev.pagoda.backend.cuda;

import jcuda.driver.CUfunction;

/** Launches Embedding.cu: each token's row of embed_tokens into the fp32 residual stream. */
final class Embedding {
    private final CudaContext cuda;
    private final CUfunction gather;

    Embedding(CudaContext cuda) {
        this.cuda = cuda;
        this.gather = cuda.function(cuda.loadModule("Embedding"), "embedding_gather");
    }

    /**
     * @param hidden      {@code [numTokens, hiddenSize]} fp32, written
     * @param embedTokens {@code [vocabSize, hiddenSize]} bf16
     * @param tokenIds    {@code [numTokens]} int32
     */
    void gather(long hidden, long embedTokens, long tokenIds, int numTokens, int hiddenSize) {
        cuda.launch(gather, numTokens, 1, 256, 0, hidden, embedTokens, tokenIds, hiddenSize);
    }
}
