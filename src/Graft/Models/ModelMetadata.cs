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

    /// <summary>Where the training images were; null in files written before it was recorded.</summary>
    public TrainingImages? TrainedOn { get; init; }

    /// <summary>The Graft version that wrote the file.</summary>
    public string GraftVersion { get; init; } = ModelFile.GraftVersion;
}

/// <summary>
/// The folder of class folders a model was trained on (links resolved), and whether val was split
/// off it, so that evaluating on the same images can be called what it is.
/// </summary>
public sealed record TrainingImages(string Folder, bool ValIsSplit)
{
    /// <summary>The record for <paramref name="data"/>.</summary>
    public static TrainingImages Of(Data.ImageFolderDataset data) => new(Paths.Real(data.TrainFolder), data.ValIsSplit);

    /// <summary>
    /// A warning when <paramref name="folder"/> holds these training images, else null: a score
    /// there says how well the model fits what it learned from, not how it does on new images.
    /// </summary>
    public string? WarningFor(string folder)
    {
        var real = Path.TrimEndingDirectorySeparator(Paths.Real(folder));
        if (real != Path.TrimEndingDirectorySeparator(Folder))
            return null;
        return ValIsSplit
            ? $"{folder} is the folder this model was trained on: most of its images were training images " +
              "(val was split off it), so its accuracy here overstates what new images will get"
            : $"{folder} holds this model's training images, so its accuracy here overstates what new images " +
              "will get; evaluate on the val or test folder, or new images";
    }
}
