using Graft.Backbones;
using Graft.Data;
using Graft.Features;
using Microsoft.Extensions.Logging;

namespace Graft.Running;

/// <summary>Opens a backbone and a cache and turns named splits into features, telling an observer.</summary>
public sealed class FeatureSource(IFeatureExtractor extractor, FeatureCache? cache, IRunObserver observer, ILogger logger)
{
    readonly FeaturePipeline _pipeline = new(extractor, cache, logger);
    readonly StageFeaturePipeline? _stages =
        extractor is TorchFeatureExtractor torch ? new StageFeaturePipeline(torch, cache, logger) : null;

    /// <summary>The backbone in use.</summary>
    public BackboneInfo Backbone => extractor.Backbone;

    /// <summary>Extracts one split's features.</summary>
    public FeatureSet Extract(string split, IReadOnlyList<LabeledImage> images, CancellationToken cancellation)
    {
        observer.ExtractionStarted(split, images.Count);
        var progress = Observed.Extraction(observer, split);
        // TorchSharp goes in batches and fills every stage's cache entry in the same pass.
        var features = _stages is null
            ? _pipeline.Extract(images, progress, cancellation)
            : _stages.Extract(images, [Backbone.Layer], progress, cancellation)[Backbone.Layer];
        observer.ExtractionFinished(split, features);
        Log(split, images.Count, features);
        return features;
    }

    /// <summary>
    /// Extracts one split's features at several stages in one pass (the extractor must be a
    /// <see cref="TorchFeatureExtractor"/>).
    /// </summary>
    public IReadOnlyDictionary<string, FeatureSet> ExtractStages(
        string split, IReadOnlyList<LabeledImage> images, IReadOnlyList<string> layers,
        CancellationToken cancellation)
    {
        if (_stages is null)
            throw new InvalidOperationException(
                $"{Backbone.Id} runs in ONNX Runtime, which gives {Backbone.Layer} only; open it with TorchSharp");
        observer.ExtractionStarted(split, images.Count);
        var features = _stages.Extract(images, layers, Observed.Extraction(observer, split), cancellation);
        observer.ExtractionFinished(split, features[layers[0]]);
        Log(split, images.Count, features[layers[0]]);
        return features;
    }

    void Log(string split, int count, FeatureSet features) =>
        logger.LogInformation(
            "{Split}: {Count}, {FromCache} from the cache, {Computed} extracted, {Skipped} skipped",
            split, Counted.Of(count, "image"), features.FromCache, features.Computed, features.Skipped.Count);

    /// <summary>
    /// The cache a run uses: none, the given folder, or the default one. Given a
    /// <paramref name="dataDir"/>, a cache inside it is refused: its files would be read as images.
    /// </summary>
    /// <exception cref="GraftException">The folder is a file, or inside the data.</exception>
    public static FeatureCache? OpenCache(string? directory, bool disabled, string? dataDir = null)
    {
        if (disabled)
            return null;
        var folder = directory ?? FeatureCache.DefaultDirectory();
        if (File.Exists(folder))
            throw new GraftException($"--cache {folder} is a file; give a folder for the feature cache");
        if (dataDir is not null && OutputFolder.IsInside(folder, dataDir))
            throw new GraftException($"--cache {folder} is inside the data folder {dataDir}, where its files " +
                                     "would be read as a class; keep the cache somewhere else");
        return new FeatureCache(folder);
    }
}
