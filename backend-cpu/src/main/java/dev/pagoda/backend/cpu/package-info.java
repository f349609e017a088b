/**
 * The CPU reference backend: a Llama-family forward pass over a paged KV cache, in fp32, with the
 * JDK Vector API. It is the spec the CUDA backend is checked against, written to be read.
 *
 * <p>Read it in this order:
 * <ol>
 *   <li>{@link dev.pagoda.backend.cpu.LlamaForwardPass}: the whole model, step by step, with shapes.
 *   <li>{@link dev.pagoda.backend.cpu.PagedAttention} and {@link dev.pagoda.backend.cpu.PagedKvCache}:
 *       how keys and values are stored in blocks and found again through block tables.
 *   <li>{@link dev.pagoda.backend.cpu.MatMul} and {@link dev.pagoda.backend.cpu.Dot}: the matmuls, where
 *       decode spends its time, and the one reduction order that keeps results batch-independent.
 *   <li>{@link dev.pagoda.backend.cpu.VectorOps}: RMSNorm, RoPE, SiLU, softmax (their plain-loop
 *       oracles are the tests' {@code NaiveOps}).
 *   <li>{@link dev.pagoda.backend.cpu.CpuBackend}: the engine-facing SPI, and
 *       {@link dev.pagoda.backend.cpu.WorkerPool}: the threads.
 * </ol>
 */
package dev.pagoda.backend.cpu;
