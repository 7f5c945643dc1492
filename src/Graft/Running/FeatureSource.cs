using Graft.Backbones;
using Graft.Data;
using Graft.Features;
using Microsoft.Extensions.Logging;

namespace Graft.Running;

/// <summary>Opens a backbone and a cache and turns named splits into features, telling an observer.</summary>
public sealed class FeatureSource(IFeatureExtractor extractor, FeatureCache? cache, IRunObserver observer, ILogger logger)
{
    readonly FeaturePipeline _pipeline = new(extractor, cache, logger);

    /// <summary>The backbone in use.</summary>
    public BackboneInfo Backbone => extractor.Backbone;

    /// <summary>Extracts one split's features.</summary>
    public FeatureSet Extract(string split, IReadOnlyList<LabeledImage> images, CancellationToken cancellation)
    {
        observer.ExtractionStarted(split, images.Count);
        var features = _pipeline.Extract(images, Observed.Extraction(observer, split), cancellation);
        observer.ExtractionFinished(split, features);
        logger.LogInformation(
            "{Split}: {Count} images, {FromCache} features from the cache, {Computed} extracted, {Skipped} skipped",
            split, images.Count, features.FromCache, features.Computed, features.Skipped.Count);
        return features;
    }

    /// <summary>The cache a run uses: none, the given folder, or the default one.</summary>
    public static FeatureCache? OpenCache(string? directory, bool disabled) =>
        disabled ? null : new FeatureCache(directory ?? FeatureCache.DefaultDirectory());
}
