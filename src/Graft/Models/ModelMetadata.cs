using Graft.Backbones;
using Graft.Evaluation;
using Graft.Heads;
using Graft.Training;

namespace Graft.Models;

/// <summary>Everything a saved model says about itself, stored as JSON inside the model file.</summary>
public sealed record ModelMetadata
{
    /// <summary>Class names in label order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>The backbone the features come from, with its preprocessing.</summary>
    public required BackboneInfo Backbone { get; init; }

    /// <summary>The head's kind and sizes.</summary>
    public required HeadSpec Head { get; init; }

    /// <summary>The options the head was trained with.</summary>
    public required TrainOptions Training { get; init; }

    /// <summary>How the backbone was fine-tuned; null when it stayed frozen (weights not stored).</summary>
    public FineTuneOptions? FineTune { get; init; }

    /// <summary>Results of the run that made the model (val metrics at the kept epoch).</summary>
    public SplitMetrics? ValMetrics { get; init; }

    /// <summary>The Graft version that wrote the file.</summary>
    public string GraftVersion { get; init; } = ModelFile.GraftVersion;
}
