using Graft.Heads;
using Graft.Training;

namespace Graft.Running;

/// <summary>What <c>graft train</c> is asked to do.</summary>
public sealed record TrainRequest
{
    /// <summary>The data folder (class folders, or train/ and val/ of them).</summary>
    public required string DataDir { get; init; }

    /// <summary>Where the model, metrics.json and history.csv go.</summary>
    public required string OutDir { get; init; }

    /// <summary>The head to train.</summary>
    public HeadSpec Head { get; init; } = HeadSpec.Of("linear");

    /// <summary>Training options.</summary>
    public TrainOptions Options { get; init; } = new();

    /// <summary>Share of each class held out when there is no val folder.</summary>
    public double ValFraction { get; init; } = 0.2;

    /// <summary>The feature cache folder (null: the default one).</summary>
    public string? CacheDir { get; init; }

    /// <summary>Turns the feature cache off.</summary>
    public bool NoCache { get; init; }

    /// <summary>
    /// What <c>--backbone</c> names: <c>resnet18</c> (embedded), a torchvision checkpoint as a path,
    /// as a file name in <see cref="CheckpointsDir"/> or as an architecture name whose published
    /// file is there, or an ONNX image model's path.
    /// </summary>
    public string Backbone { get; init; } = "resnet18";

    /// <summary>Output, mean, std and size for an ONNX model given as <see cref="Backbone"/>.</summary>
    public Backbones.ImageModelOptions Onnx { get; init; } = new();

    /// <summary>Where bare checkpoint names are looked up (null: PyTorch's hub folder).</summary>
    public string? CheckpointsDir { get; init; }

    /// <summary>
    /// The backbone layer whose features the head sees (a ResNet's layer1 to layer4, a VGG's
    /// pool1 to pool5, fc6 or fc7); null: the backbone's default (layer4, fc7, ...).
    /// </summary>
    public string? Layer { get; init; }

    /// <summary>
    /// <c>frozen</c>: a head on <see cref="Layer"/> as asked; <c>auto</c>: follow
    /// <see cref="AdviceRun"/>'s advice, which chooses the layer.
    /// </summary>
    public string Strategy { get; init; } = "frozen";

    /// <summary>What <c>--strategy auto</c> chose and why, recorded in metrics.json.</summary>
    public Evaluation.StrategyChoice? Choice { get; init; }

    /// <summary>Fine-tune the backbone after training the head; null keeps it frozen.</summary>
    public FineTuneOptions? FineTune { get; init; }

    /// <summary>
    /// Fine-tuning settings for when <c>--strategy auto</c> chooses to fine-tune (it chooses the
    /// stages); the defaults where null.
    /// </summary>
    public FineTuneSettings? FineTuneSettings { get; init; }

    /// <summary>Continue an interrupted fine-tuning run from the checkpoint in <see cref="OutDir"/>.</summary>
    public bool Resume { get; init; }
}
