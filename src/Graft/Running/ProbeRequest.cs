namespace Graft.Running;

/// <summary>What <c>graft probe</c> and <c>graft advise</c> are asked to measure.</summary>
public sealed record ProbeRequest
{
    /// <summary>The data folder (class folders, or train/ and val/ of them).</summary>
    public required string DataDir { get; init; }

    /// <summary>
    /// The layers to probe; null: the backbone's last three (layer2, layer3 and layer4 for a
    /// ResNet, whose layer1 gives 64 features that rarely help).
    /// </summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>
    /// What <c>--backbone</c> names: <c>resnet18</c> (embedded) or a torchvision checkpoint (a
    /// path, a file name in <see cref="CheckpointsDir"/>, or an architecture name whose file is there).
    /// </summary>
    public string Backbone { get; init; } = "resnet18";

    /// <summary>Where bare checkpoint names are looked up (null: PyTorch's hub folder).</summary>
    public string? CheckpointsDir { get; init; }

    /// <summary>Share of each class held out when there is no val folder.</summary>
    public double ValFraction { get; init; } = 0.2;

    /// <summary>Seed of the split, of the heads, and of the random-weight baseline.</summary>
    public int Seed { get; init; }

    /// <summary>The feature cache folder (null: the default one).</summary>
    public string? CacheDir { get; init; }

    /// <summary>Turns the feature cache off.</summary>
    public bool NoCache { get; init; }
}
