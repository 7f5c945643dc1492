using Graft.Backbones;
using Graft.Data;
using Graft.Features;
using Graft.Heads;
using Graft.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Graft.Running;

/// <summary>
/// A linear probe per layer: the default linear head trained on each layer's frozen features and
/// measured on the val images. It shows which layer's features separate the classes best. All
/// layers come from one TorchSharp pass per image and are cached.
/// </summary>
public sealed class ProbeRun(ILogger? logger = null, IRunObserver? observer = null)
{
    readonly ILogger _logger = logger ?? NullLogger.Instance;
    readonly IRunObserver _observer = observer ?? Observed.None;

    /// <summary>Probes the layers of <paramref name="request"/>'s backbone on its data.</summary>
    public ProbeResult Run(ProbeRequest request, CancellationToken cancellation = default)
    {
        var data = Load(request, _logger);
        using var extractor = BackboneCatalog.OpenTorch(request.Backbone, request.CheckpointsDir, _logger);
        return Probe(data, extractor, request, "", cancellation);
    }

    /// <summary>Reads the data folder and logs what the user should know about it.</summary>
    internal static ImageFolderDataset Load(ProbeRequest request, ILogger logger)
    {
        if (request.Layers is { Count: 0 })
            throw new GraftException("--layers: give at least one layer (see graft backbones)");
        var data = ImageFolderDataset.Load(request.DataDir, request.ValFraction, request.Seed);
        foreach (var warning in data.Warnings)
            logger.LogWarning("{Warning}", warning);
        return data;
    }

    /// <summary>
    /// The layers <paramref name="request"/> asks for, in the network's order; by default the
    /// architecture's last three.
    /// </summary>
    /// <exception cref="GraftException">A layer the network does not have.</exception>
    internal static IReadOnlyList<string> LayersToProbe(ProbeRequest request, TorchFeatureExtractor extractor)
    {
        var architecture = extractor.Network.Architecture;
        if (request.Layers is null)
            return architecture.ProbeLayers;
        var unknown = request.Layers.Where(layer => !architecture.Layers.Contains(layer)).ToList();
        if (unknown.Count > 0)
            throw new GraftException(
                $"--layers '{string.Join(",", request.Layers)}': unknown {string.Join(", ", unknown)}; " +
                $"{extractor.Backbone.Id} has {string.Join(",", architecture.Layers)}");
        return architecture.Layers.Where(request.Layers.Contains).ToList();
    }

    /// <summary>Probes <paramref name="extractor"/>'s network on data already read.</summary>
    /// <param name="label">Appended to the split names the observer sees, to tell passes apart.</param>
    internal ProbeResult Probe(
        ImageFolderDataset data, TorchFeatureExtractor extractor, ProbeRequest request, string label,
        CancellationToken cancellation)
    {
        var layers = LayersToProbe(request, extractor);
        var source = new FeatureSource(extractor, FeatureSource.OpenCache(request.CacheDir, request.NoCache, request.DataDir),
            _observer, _logger);
        var train = source.ExtractStages("train" + label, data.Train, layers, cancellation);
        var val = source.ExtractStages("val" + label, data.Val, layers, cancellation);
        TrainingRun.RequireUsableImages(data, train[layers[0]], val[layers[0]]);

        var probes = new List<LayerProbe>();
        foreach (var layer in layers)
        {
            cancellation.ThrowIfCancellationRequested();
            var options = TrainOptions.For("linear") with { Seed = request.Seed };
            var trained = new HeadTrainer(_logger).Train(
                train[layer], val[layer], data.ClassNames.Count, HeadSpec.Of("linear"), options, null, cancellation);
            using var head = trained.Head;
            var trainMetrics = TrainingRun.Measure(head, train[layer], data.ClassNames);
            var valMetrics = TrainingRun.Measure(head, val[layer], data.ClassNames);
            probes.Add(new LayerProbe(layer, train[layer].Features.FirstOrDefault()?.Length ?? 0,
                trainMetrics.Accuracy, valMetrics.Accuracy, valMetrics.Loss, trained.BestEpoch));
            _logger.LogInformation("{Backbone} {Layer}: val accuracy {Accuracy:F4}, loss {Loss:F4}",
                extractor.Backbone.Id, layer, valMetrics.Accuracy, valMetrics.Loss);
        }

        var first = layers[0];
        var sets = new[] { train[first], val[first] };
        var skipped = sets.SelectMany(s => s.Skipped).ToList();
        var summary = new RunSummary(sets.Sum(s => s.Count), skipped,
            data.Warnings.Concat(sets.SelectMany(s => s.Warnings).Select(w => $"{w.Path}: {w.Reason}")).ToList());
        Dictionary<string, int> PerClass(FeatureSet split) => data.ClassNames.Select((name, index) => (name, index))
            .ToDictionary(c => c.name, c => split.Labels.Count(y => y == c.index));
        return new ProbeResult(extractor.Backbone.Id, data.ClassNames, PerClass(train[first]), val[first].Count,
            probes, summary) { ValImagesPerClass = PerClass(val[first]) };
    }
}
