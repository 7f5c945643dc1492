using Graft.Data;
using Microsoft.ML.OnnxRuntime;

namespace Graft.Backbones;

/// <summary>
/// The ImageNet-pretrained ResNet-18 that ships inside the NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0 (a CNTK export to ONNX, opset 8), copied
/// into the build output under <c>backbones/resnet18/</c>. Nothing is downloaded at run time.
/// </summary>
/// <remarks>
/// Its input convention is its own: 224x224, BGR, 0-255, minus a per-pixel mean image (taken from
/// the package's ResNetPreprocess.onnx), no division by a standard deviation. Images are resized
/// so the shorter side is 256 and centre-cropped to 224, which measured better on the shared data
/// than ML.NET's 224 crop (hymenoptera val loss 0.14 against 0.19 with a linear head). Its four stages
/// have [2, 2, 2, 3] basic blocks, so it is not torchvision's resnet18.
/// </remarks>
public static class EmbeddedResNet18
{
    /// <summary>The id stored in models.</summary>
    public const string Id = "resnet18";

    /// <summary>The layer the ONNX model exposes: layer4, globally average pooled.</summary>
    public const string TopLayer = "layer4";

    const string ModelFile = "ResNet18.onnx";
    const string PreprocessFile = "ResNetPreprocess.onnx";
    const int FeatureDim = 512;
    static readonly Lazy<Preprocessing> LazyPreprocessing = new(LoadPreprocessing);

    /// <summary>The folder holding the two ONNX files.</summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable("GRAFT_RESNET18_DIR")
        ?? Path.Combine(AppContext.BaseDirectory, "backbones", "resnet18");

    /// <summary>Path of ResNet18.onnx.</summary>
    public static string ModelPath => Path.Combine(Directory, ModelFile);

    /// <summary>True when the weights are where they should be.</summary>
    public static bool IsAvailable => File.Exists(ModelPath) && File.Exists(Path.Combine(Directory, PreprocessFile));

    /// <summary>The backbone's preprocessing, mean image included.</summary>
    public static Preprocessing Preprocessing => LazyPreprocessing.Value;

    /// <summary>The description of the top-layer backbone.</summary>
    public static BackboneInfo Info => new(Id, TopLayer, FeatureDim, Preprocessing, WeightsFingerprint());

    /// <summary>Opens an ONNX Runtime extractor of pooled layer4 features.</summary>
    public static IFeatureExtractor Open(int threads = 0)
    {
        EnsureAvailable();
        return new OnnxFeatureExtractor(ModelPath, Info, threads: threads);
    }

    static void EnsureAvailable()
    {
        if (!IsAvailable)
            throw new FileNotFoundException(
                $"The embedded ResNet-18 is missing from {Directory}. It is copied there by the build from " +
                "the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0; rebuild Graft " +
                "(dotnet build) or set GRAFT_RESNET18_DIR to a folder holding ResNet18.onnx and ResNetPreprocess.onnx.");
    }

    static string WeightsFingerprint() => $"{ModelFile}:{new FileInfo(ModelPath).Length}";

    static Preprocessing LoadPreprocessing()
    {
        EnsureAvailable();

        // ResNetPreprocess.onnx reorders RGB to BGR and subtracts its mean image: fed zeros, it
        // returns the negated mean image in BGR order.
        using var session = new InferenceSession(Path.Combine(Directory, PreprocessFile));
        var zeros = new float[3 * 224 * 224];
        using var input = OrtValue.CreateTensorValueFromMemory(zeros, [1, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputNames[0]], [input], [session.OutputNames[0]]);
        var meanImage = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        for (var i = 0; i < meanImage.Length; i++)
            meanImage[i] = -meanImage[i];

        var plane = 224 * 224;
        var channelMeans = Enumerable.Range(0, 3)
            .Select(c => (float)meanImage.AsSpan(c * plane, plane).ToArray().Average())
            .ToArray();
        return new Preprocessing(new ResizeSpec("crop", 256, 224), "BGR", 1f, channelMeans, [1f, 1f, 1f])
        {
            MeanImage = meanImage,
        };
    }
}
