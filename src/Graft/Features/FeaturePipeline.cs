using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Graft.Backbones;
using Graft.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Graft.Features;

/// <summary>
/// Turns image files into frozen features: hash each file, take its features from the cache when
/// they are there, otherwise decode, preprocess and run the backbone (decoding on a worker while
/// the backbone runs), then store them. Undecodable files are skipped and reported, never fatal.
/// </summary>
public sealed class FeaturePipeline(IFeatureExtractor extractor, FeatureCache? cache, ILogger? logger = null)
{
    readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Extracts the features of <paramref name="images"/>, in their order.</summary>
    public FeatureSet Extract(
        IReadOnlyList<LabeledImage> images, IProgress<ExtractionProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        var backbone = extractor.Backbone;
        var key = backbone.CacheKey();
        var results = new float[]?[images.Count];
        var skipped = new ConcurrentDictionary<int, SkippedImage>();
        var warnings = new ConcurrentDictionary<int, SkippedImage>();
        var fromCache = 0;
        var computed = 0;
        var done = 0;

        var work = Channel.CreateBounded<(int Index, string Hash, float[] Input)>(
            new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = false });

        var producer = Task.Run(() =>
        {
            try
            {
                var options = new ParallelOptions
                {
                    MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount / 2),
                    CancellationToken = cancellation,
                };
                Parallel.For(0, images.Count, options, i =>
                {
                    var path = images[i].Path;
                    byte[] bytes;
                    try
                    {
                        bytes = File.ReadAllBytes(path);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        skipped[i] = new SkippedImage(path, "unreadable", $"cannot be read ({e.Message})");
                        progress?.Report(new ExtractionProgress(Interlocked.Increment(ref done), images.Count, fromCache));
                        return;
                    }

                    var hash = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
                    var cached = cache?.TryGet(key, hash, backbone.FeatureDim);
                    if (cached is not null)
                    {
                        results[i] = cached.Features;
                        if (cached.Warning is not null)
                            warnings[i] = new SkippedImage(path, "decoded with a warning", cached.Warning);
                        Interlocked.Increment(ref fromCache);
                        progress?.Report(new ExtractionProgress(Interlocked.Increment(ref done), images.Count, fromCache));
                        return;
                    }

                    try
                    {
                        var image = ImageDecoder.Decode(bytes, path, backbone.Preprocessing.Resize);
                        if (image.Warning is not null)
                            warnings[i] = new SkippedImage(path, "decoded with a warning", image.Warning);
                        var input = new float[backbone.Preprocessing.InputLength];
                        backbone.Preprocessing.ToTensor(image, input);
                        work.Writer.WriteAsync((i, hash, input), cancellation).AsTask().GetAwaiter().GetResult();
                    }
                    catch (ImageDecodeException e)
                    {
                        skipped[i] = new SkippedImage(path, e.Kind, e.Reason);
                        progress?.Report(new ExtractionProgress(Interlocked.Increment(ref done), images.Count, fromCache));
                    }
                });
            }
            finally
            {
                work.Writer.Complete();
            }
        }, cancellation);

        foreach (var (index, hash, input) in work.Reader.ReadAllAsync(cancellation).ToBlockingEnumerable(cancellation))
        {
            var features = extractor.Extract(input);
            cache?.Put(key, hash, features, warnings.TryGetValue(index, out var warning) ? warning.Reason : null);
            results[index] = features;
            computed++;
            progress?.Report(new ExtractionProgress(Interlocked.Increment(ref done), images.Count, fromCache));
        }
        producer.GetAwaiter().GetResult();

        foreach (var (_, skip) in skipped.OrderBy(pair => pair.Key))
            _logger.LogWarning("Skipped {Path}: {Reason}", skip.Path, skip.Reason);
        foreach (var (_, warning) in warnings.OrderBy(pair => pair.Key))
            _logger.LogWarning("{Path}: {Reason}", warning.Path, warning.Reason);

        var kept = Enumerable.Range(0, images.Count).Where(i => results[i] is not null).ToArray();
        return new FeatureSet
        {
            Features = kept.Select(i => results[i]!).ToArray(),
            Labels = kept.Select(i => images[i].Label).ToArray(),
            Paths = kept.Select(i => images[i].Path).ToArray(),
            Skipped = skipped.OrderBy(pair => pair.Key).Select(pair => pair.Value).ToList(),
            Warnings = warnings.OrderBy(pair => pair.Key).Select(pair => pair.Value).ToList(),
            FromCache = fromCache,
            Computed = computed,
        };
    }
}
