using Microsoft.ML.OnnxRuntime;

namespace Graft.Backbones;

/// <summary>Runs a frozen ONNX image model with ONNX Runtime, one image at a time.</summary>
public sealed class OnnxFeatureExtractor : IFeatureExtractor
{
    readonly InferenceSession _session;
    readonly RunOptions _runOptions = new();
    readonly string _inputName;
    readonly string _outputName;
    readonly long[] _inputShape;

    /// <summary>Opens <paramref name="modelPath"/>; <paramref name="outputName"/> defaults to the first output.</summary>
    public OnnxFeatureExtractor(string modelPath, BackboneInfo backbone, string? outputName = null, int threads = 0)
    {
        Backbone = backbone;
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads > 0 ? threads : Environment.ProcessorCount,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        _session = new InferenceSession(modelPath, options);
        _inputName = _session.InputNames[0];
        _outputName = outputName ?? _session.OutputNames[0];
        if (!_session.OutputMetadata.ContainsKey(_outputName))
            throw new ArgumentException(
                $"{modelPath}: no output named '{_outputName}' (outputs: {string.Join(", ", _session.OutputNames)})");
        var crop = backbone.Preprocessing.Resize.Crop;
        _inputShape = [1, 3, crop, crop];
    }

    /// <inheritdoc />
    public BackboneInfo Backbone { get; }

    /// <inheritdoc />
    public float[] Extract(float[] input)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, _inputShape);
        using var outputs = _session.Run(_runOptions, [_inputName], [value], [_outputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
