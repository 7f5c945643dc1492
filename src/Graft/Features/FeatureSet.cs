using Graft.Data;

namespace Graft.Features;

/// <summary>The features of the images that decoded, with their labels and files.</summary>
public sealed class FeatureSet
{
    /// <summary>One feature vector per image.</summary>
    public required float[][] Features { get; init; }

    /// <summary>Class index per image (-1 when unlabelled).</summary>
    public required int[] Labels { get; init; }

    /// <summary>The image files, in the same order.</summary>
    public required string[] Paths { get; init; }

    /// <summary>Files that could not be used, with the reason.</summary>
    public required IReadOnlyList<SkippedImage> Skipped { get; init; }

    /// <summary>Files decoded with a warning (for example truncated), with the warning.</summary>
    public required IReadOnlyList<SkippedImage> Warnings { get; init; }

    /// <summary>How many feature vectors came from the cache.</summary>
    public int FromCache { get; init; }

    /// <summary>How many were computed by the backbone.</summary>
    public int Computed { get; init; }

    /// <summary>Number of images with features.</summary>
    public int Count => Features.Length;
}
