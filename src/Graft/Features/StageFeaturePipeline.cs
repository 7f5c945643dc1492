using System.Security.Cryptography;
using Graft.Backbones;
using Graft.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Graft.Features;

/// <summary>
/// Features of several layers of a torchvision network (a ResNet's stages, a VGG's pooling stages
/// and fc6/fc7) from one forward pass per batch of images. TorchSharp is the slow part (about 20
/// ResNet-18 images a second on two cores), so every layer's features are stored in the cache
/// whenever an image goes through the network: asking for another layer later, or training on one
/// the probe measured, costs no second pass.
/// </summary>
public sealed class StageFeaturePipeline(
    TorchFeatureExtractor extractor, FeatureCache? cache, ILogger? logger = null)
{
    const int BatchSize = 16;
    readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>The description of the extractor's backbone at another layer.</summary>
    public BackboneInfo AtLayer(string layer) =>
        extractor.Backbone with { Layer = layer, FeatureDim = extractor.Network.Architecture.FeatureDim(layer) };

    /// <summary>Extracts the features of <paramref name="images"/> at each of <paramref name="layers"/>.</summary>
    /// <returns>One feature set per layer, all with the same images in the same order.</returns>
    public IReadOnlyDictionary<string, FeatureSet> Extract(
        IReadOnlyList<LabeledImage> images, IReadOnlyList<string> layers,
        IProgress<ExtractionProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (layers.Count == 0)
            throw new ArgumentException("ask for at least one layer", nameof(layers));
        var architecture = extractor.Network.Architecture;
        var stages = architecture.Layers.ToDictionary(stage => stage, AtLayer);
        foreach (var layer in layers)
            if (!stages.ContainsKey(layer))
                throw new GraftException($"layer '{layer}' is not a layer of {architecture.Name} " +
                                         $"(use {string.Join(", ", architecture.Layers)})");
        var keys = stages.ToDictionary(pair => pair.Key, pair => pair.Value.CacheKey());

        var results = layers.Distinct().ToDictionary(layer => layer, _ => new float[]?[images.Count]);
        var skipped = new SkippedImage?[images.Count];
        var warnings = new SkippedImage?[images.Count];
        var fromCache = 0;
        var computed = 0;
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount / 2), CancellationToken = cancellation,
        };

        (string Hash, float[] Input)?[] PrepareBatch(int start)
        {
            var pending = new (string Hash, float[] Input)?[Math.Min(BatchSize, images.Count - start)];
            Parallel.For(0, pending.Length, options, j =>
            {
                var i = start + j;
                pending[j] = Prepare(images[i].Path, stages, keys, results, i, out skipped[i], out warnings[i]);
                if (pending[j] is null && skipped[i] is null)
                    Interlocked.Increment(ref fromCache);
            });
            return pending;
        }

        // The next batch is decoded while the network runs on this one.
        var next = images.Count == 0 ? null : Task.Run(() => PrepareBatch(0), cancellation);
        for (var start = 0; next is not null; start += BatchSize)
        {
            var pending = next.GetAwaiter().GetResult();
            var count = pending.Length;
            var nextStart = start + count; // the loop variable is shared, so the task gets a copy
            next = nextStart < images.Count ? Task.Run(() => PrepareBatch(nextStart), cancellation) : null;
            cancellation.ThrowIfCancellationRequested();

            var toRun = Enumerable.Range(0, count).Where(j => pending[j] is not null).ToList();
            if (toRun.Count > 0)
            {
                var inputs = toRun.Select(j => pending[j]!.Value.Input).ToList();
                var features = extractor.ExtractStages(inputs, stages.Keys);
                for (var k = 0; k < toRun.Count; k++)
                {
                    var i = start + toRun[k];
                    foreach (var (stage, perImage) in features)
                    {
                        cache?.Put(keys[stage], pending[toRun[k]]!.Value.Hash, perImage[k], warnings[i]?.Reason);
                        if (results.TryGetValue(stage, out var slots))
                            slots[i] = perImage[k];
                    }
                }
                computed += toRun.Count;
            }
            progress?.Report(new ExtractionProgress(start + count, images.Count, fromCache));
        }

        foreach (var skip in skipped.OfType<SkippedImage>())
            _logger.LogWarning("Skipped {Path}: {Reason}", skip.Path, skip.Reason);
        foreach (var warning in warnings.OfType<SkippedImage>())
            _logger.LogWarning("{Path}: {Reason}", warning.Path, warning.Reason);

        var kept = Enumerable.Range(0, images.Count).Where(i => skipped[i] is null).ToArray();
        return results.ToDictionary(pair => pair.Key, pair => new FeatureSet
        {
            Features = kept.Select(i => pair.Value[i]!).ToArray(),
            Labels = kept.Select(i => images[i].Label).ToArray(),
            Paths = kept.Select(i => images[i].Path).ToArray(),
            Skipped = skipped.OfType<SkippedImage>().ToList(),
            Warnings = warnings.OfType<SkippedImage>().ToList(),
            FromCache = fromCache,
            Computed = computed,
        });
    }

    // Fills the results from the cache when every asked layer is there (returns null); otherwise
    // returns the decoded input tensor, or null with the reason in skipped.
    (string Hash, float[] Input)? Prepare(
        string path, Dictionary<string, BackboneInfo> stages, Dictionary<string, string> keys,
        Dictionary<string, float[]?[]> results, int index, out SkippedImage? skipped, out SkippedImage? warning)
    {
        skipped = null;
        warning = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            skipped = new SkippedImage(path, "unreadable", $"cannot be read ({e.Message})");
            return null;
        }

        var hash = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        var cached = results.Keys.ToDictionary(
            layer => layer, layer => cache?.TryGet(keys[layer], hash, stages[layer].FeatureDim));
        if (cached.Values.All(features => features is not null))
        {
            foreach (var (layer, features) in cached)
                results[layer][index] = features!.Features;
            if (cached.Values.Select(features => features!.Warning).FirstOrDefault(w => w is not null) is { } reason)
                warning = new SkippedImage(path, "decoded with a warning", reason);
            return null;
        }

        var preprocessing = extractor.Backbone.Preprocessing;
        try
        {
            var image = ImageDecoder.Decode(bytes, path, preprocessing.Resize);
            if (image.Warning is not null)
                warning = new SkippedImage(path, "decoded with a warning", image.Warning);
            var input = new float[preprocessing.InputLength];
            preprocessing.ToTensor(image, input);
            return (hash, input);
        }
        catch (ImageDecodeException e)
        {
            skipped = new SkippedImage(path, e.Kind, e.Reason);
            return null;
        }
    }
}
