package dev.pagoda.backend.cuda;

import dev.pagoda.engine.model.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Conversions between the checkpoint's dtypes and what the GPU keeps: bf16 matrices, fp32 vectors. */
final class Bf16 {
    private Bf16() {}

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** fp32 → bf16 bits, round to nearest even (as PyTorch's {@code .to(torch.bfloat16)}); NaN stays NaN. */
    static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40); // quiet NaN
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    static float toFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** Elements {@code [start, start + out.length)} of {@code data} (of {@code dtype}) as bf16 bits. */
    static void read(MemorySegment data, DType dtype, long start, short[] out) {
        int n = out.length;
        switch (dtype) {
            case BF16 -> MemorySegment.copy(data, SHORT_LE, start * 2, out, 0, n);
            case F32 -> {
                for (int i = 0; i < n; i++) out[i] = fromFloat(data.getAtIndex(FLOAT_LE, start + i));
            }
            case F16 -> {
                for (int i = 0; i < n; i++) out[i] = fromFloat(Float.float16ToFloat(data.getAtIndex(SHORT_LE, start + i)));
            }
        }
    }

    /** All of {@code data} (of {@code dtype}) widened to fp32. */
    static float[] readFloats(MemorySegment data, DType dtype, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case F32 -> data.getAtIndex(FLOAT_LE, i);
                case BF16 -> toFloat(data.getAtIndex(SHORT_LE, i));
                case F16 -> Float.float16ToFloat(data.getAtIndex(SHORT_LE, i));
            };
        }
        return out;
    }
}
