using Graft.Data;

namespace Graft.Running;

/// <summary>What every command reports at the end: images used, skipped (by reason), warnings.</summary>
public sealed record RunSummary(int Used, IReadOnlyList<SkippedImage> Skipped, IReadOnlyList<string> Warnings)
{
    /// <summary>Skipped images counted by category.</summary>
    public IReadOnlyDictionary<string, int> SkippedByKind =>
        Skipped.GroupBy(s => s.Kind).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
}
