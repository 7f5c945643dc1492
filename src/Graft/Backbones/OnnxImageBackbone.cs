using Microsoft.ML.OnnxRuntime;

namespace Graft.Backbones;

/// <summary>
/// Any ONNX image model ([N, 3, H, W] in) used as a frozen feature extractor: one of its outputs,
/// [N, C] or [N, C, 1, 1], is the feature vector.
/// </summary>
public static class OnnxImageBackbone
{
    const int DefaultSize = 224;

    /// <summary>Describes the model at <paramref name="path"/> as a backbone, its preprocessing included.</summary>
    /// <exception cref="GraftException">The file is missing, not ONNX, or its input or output does not fit.</exception>
    public static BackboneInfo Describe(string path, ImageModelOptions options)
    {
        if (Directory.Exists(path))
            throw new GraftException($"--backbone {path} is a folder; give the .onnx file in it");
        if (!File.Exists(path))
            throw new GraftException($"--backbone {path}: no such file");

        using var session = OpenSession(path);
        var input = session.InputMetadata[session.InputNames[0]];
        var dims = input.Dimensions;
        if (dims.Length != 4 || (dims[1] != 3 && dims[1] > 0) || input.ElementType != typeof(float))
            throw new GraftException(
                $"{path}: its input '{session.InputNames[0]}' is {input.ElementType.Name} " +
                $"[{string.Join(", ", dims)}]; Graft feeds float images as [N, 3, H, W]");
        var size = InputSize(path, dims, options.Size);

        var output = options.Output ?? session.OutputNames[0];
        if (!session.OutputMetadata.TryGetValue(output, out var outputMetadata))
            throw new GraftException(
                $"--output {output}: {path} has no such output (it has {string.Join(", ", session.OutputNames)})");
        var featureDim = FeatureDim(path, output, outputMetadata.Dimensions);

        var torchVision = Preprocessing.TorchVision((int)Math.Round(size * 256.0 / 224.0), size);
        var preprocessing = torchVision with
        {
            Mean = ThreeValues("--mean", options.Mean) ?? torchVision.Mean,
            Std = ThreeValues("--std", options.Std) ?? torchVision.Std,
        };
        var backbone = new BackboneInfo($"onnx-{Path.GetFileNameWithoutExtension(path)}", output, featureDim,
            preprocessing, TorchVisionBackbone.Fingerprint(path))
        {
            Source = Path.GetFullPath(path),
        };
        if (featureDim > 0)
            return backbone;

        // A symbolic channel count is measured on one blank image.
        using var probe = new OnnxFeatureExtractor(path, backbone, outputName: output, threads: 1);
        return backbone with { FeatureDim = probe.Extract(new float[preprocessing.InputLength]).Length };
    }

    /// <summary>Opens <paramref name="backbone"/>, which <see cref="Describe"/> made, for extraction.</summary>
    /// <exception cref="GraftException">The file is gone or its bytes changed since.</exception>
    public static OnnxFeatureExtractor Open(BackboneInfo backbone)
    {
        var path = backbone.Source ?? throw new ArgumentException("the backbone has no source file", nameof(backbone));
        TorchVisionBackbone.RequireUnchanged(path, backbone.WeightsFingerprint);
        var extractor = new OnnxFeatureExtractor(path, backbone, outputName: backbone.Layer);

        // A model whose output size is symbolic is measured once, so a wrong guess fails here.
        var features = extractor.Extract(new float[backbone.Preprocessing.InputLength]);
        if (features.Length != backbone.FeatureDim)
        {
            extractor.Dispose();
            throw new GraftException(
                $"{path}: output '{backbone.Layer}' gives {features.Length} values per image, " +
                $"expected {backbone.FeatureDim}");
        }
        return extractor;
    }

    static InferenceSession OpenSession(string path)
    {
        try
        {
            return new InferenceSession(path);
        }
        catch (OnnxRuntimeException e)
        {
            throw new GraftException($"{path}: ONNX Runtime cannot load it ({e.Message})", e);
        }
    }

    static int InputSize(string path, int[] dims, int? asked)
    {
        if (dims[2] > 0 && dims[3] > 0)
        {
            if (dims[2] != dims[3])
                throw new GraftException(
                    $"{path}: its input is {dims[2]}x{dims[3]}; Graft crops square images only so far");
            if (asked is { } size && size != dims[2])
                throw new GraftException($"--size {size}: {path} takes {dims[2]}x{dims[3]} images only");
            return dims[2];
        }
        if (asked is < 8)
            throw new GraftException($"--size {asked}: give the input side in pixels, at least 8");
        return asked ?? DefaultSize;
    }

    static int FeatureDim(string path, string output, int[] dims)
    {
        var pooled = dims.Length == 2 || (dims.Length == 4 && dims[2] == 1 && dims[3] == 1);
        if (!pooled)
            throw new GraftException(
                $"{path}: output '{output}' is [{string.Join(", ", dims)}]; Graft takes features from an " +
                "output of [N, C] or [N, C, 1, 1] (give a pooled one with --output)");

        // -1 (a symbolic size) is measured by the caller.
        return dims[1];
    }

    static float[]? ThreeValues(string option, float[]? values)
    {
        if (values is null)
            return null;
        if (values.Length != 3 || (option == "--std" && values.Any(v => v <= 0)))
            throw new GraftException(
                $"{option} {string.Join(",", values)}: give three values for R, G and B" +
                (option == "--std" ? ", each above 0" : ""));
        return values;
    }
}
