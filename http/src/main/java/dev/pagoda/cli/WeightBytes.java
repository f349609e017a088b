package dev.pagoda.cli;

import dev.pagoda.engine.model.CheckpointLayout;
import dev.pagoda.engine.model.DType;
import dev.pagoda.engine.model.ModelConfig;
import dev.pagoda.engine.model.SafetensorsCheckpoint;
import dev.pagoda.engine.model.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The bytes of a model's weights as {@code serve} counts them ({@code LoadedModel.weightBytes}: each
 * tensor the architecture uses, once), without reading them: from the safetensors headers when the
 * directory has a checkpoint (the files are mapped, only their headers are touched), else from the
 * shapes {@link CheckpointLayout} derives from config.json times the dtype's size.
 *
 * @param source in words, where the number came from
 */
record WeightBytes(long bytes, String source) {

    static WeightBytes of(Path modelDir, ModelConfig config, DType dtype) {
        boolean hasCheckpoint = Files.isRegularFile(modelDir.resolve(SafetensorsCheckpoint.SINGLE_FILE))
                || Files.isRegularFile(modelDir.resolve(SafetensorsCheckpoint.INDEX_FILE));
        if (!hasCheckpoint) {
            long bytes = 0;
            for (CheckpointLayout.TensorSpec t : CheckpointLayout.tensors(config)) bytes += t.numElements() * dtype.byteSize;
            return new WeightBytes(bytes, "no safetensors files: tensor shapes from config.json × " + dtype.byteSize + " B (" + dtype + ")");
        }
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(modelDir, arena);
            Map<String, Tensor> tensors = checkpoint.tensors();
            long bytes = 0;
            for (CheckpointLayout.TensorSpec spec : CheckpointLayout.tensors(config)) {
                Tensor t = tensors.get(spec.name());
                // A missing tensor is serve's load error to report; here count what config.json implies.
                bytes += t != null ? t.data().byteSize() : spec.numElements() * dtype.byteSize;
            }
            return new WeightBytes(bytes, "from the safetensors headers of " + checkpoint.files().size() + " file(s)");
        }
    }
}
