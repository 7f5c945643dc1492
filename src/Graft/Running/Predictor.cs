using Graft.Backbones;
using Graft.Data;
using Graft.Evaluation;
using Graft.Features;
using Graft.Heads;
using Graft.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Graft.Running;

/// <summary>A saved model, ready to predict: its backbone, its cache and its head in eval mode.</summary>
public sealed class Predictor : IDisposable
{
    readonly IFeatureExtractor _extractor;
    readonly Classifier _head;
    readonly FeatureSource _source;
    readonly ILogger _logger;

    Predictor(GraftModel model, IFeatureExtractor extractor, FeatureCache? cache, IRunObserver observer, ILogger logger)
    {
        Model = model;
        _extractor = extractor;
        _head = model.CreateHead();
        _source = new FeatureSource(extractor, cache, observer, logger);
        _logger = logger;
    }

    /// <summary>The loaded model.</summary>
    public GraftModel Model { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames => Model.Metadata.Classes;

    /// <summary>Loads the model in <paramref name="modelPath"/> (a folder from train, or its model file).</summary>
    public static Predictor Open(string modelPath, FeatureCache? cache = null, IRunObserver? observer = null,
        ILogger? logger = null)
    {
        var model = ModelFile.Load(modelPath);
        var extractor = BackboneCatalog.Open(model.Backbone, model.BackboneWeights);
        return new Predictor(model, extractor, cache, observer ?? Observed.None, logger ?? NullLogger.Instance);
    }

    /// <summary>Features and class probabilities of <paramref name="images"/> (skipped files are reported, not fatal).</summary>
    public (FeatureSet Features, float[][] Probabilities) Predict(
        string split, IReadOnlyList<LabeledImage> images, CancellationToken cancellation = default)
    {
        var features = _source.Extract(split, images, cancellation);
        return (features, Probabilities.Of(_head, features.Features));
    }

    /// <summary>Class probabilities of already-extracted features.</summary>
    public float[][] Classify(float[][] features) => Probabilities.Of(_head, features);

    /// <summary>Measures the model on a labelled folder of class folders, mapped to its classes by name.</summary>
    public (SplitMetrics Metrics, RunSummary Summary) Evaluate(string folder, CancellationToken cancellation = default)
    {
        var warnings = new List<string>();
        var images = ImageFolderDataset.ReadLabelled(folder, ClassNames, warnings, []);
        if (Model.Metadata.TrainedOn?.WarningFor(folder) is { } seen)
            warnings.Add(seen);
        foreach (var warning in warnings)
            _logger.LogWarning("{Warning}", warning);
        var features = _source.Extract(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), images,
            cancellation);
        var metrics = SplitMetrics.Compute(ClassNames, features.Labels, Probabilities.LogOf(_head, features.Features));
        var allWarnings = warnings.Concat(features.Warnings.Select(w => $"{w.Path}: {w.Reason}")).ToList();
        return (metrics, new RunSummary(features.Count, features.Skipped, allWarnings));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _head.Dispose();
        _extractor.Dispose();
    }
}
