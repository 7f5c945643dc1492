namespace Graft.Running;

/// <summary>What <c>graft probe</c> and <c>graft advise</c> are asked to measure.</summary>
public sealed record ProbeRequest
{
    /// <summary>The stages probed by default: the last three (layer1's 64 features rarely help).</summary>
    public static readonly IReadOnlyList<string> DefaultLayers = ["layer2", "layer3", "layer4"];

    /// <summary>The data folder (class folders, or train/ and val/ of them).</summary>
    public required string DataDir { get; init; }

    /// <summary>The stages to probe, shallow to deep.</summary>
    public IReadOnlyList<string> Layers { get; init; } = DefaultLayers;

    /// <summary>Share of each class held out when there is no val folder.</summary>
    public double ValFraction { get; init; } = 0.2;

    /// <summary>Seed of the split, of the heads, and of the random-weight baseline.</summary>
    public int Seed { get; init; }

    /// <summary>The feature cache folder (null: the default one).</summary>
    public string? CacheDir { get; init; }

    /// <summary>Turns the feature cache off.</summary>
    public bool NoCache { get; init; }
}
