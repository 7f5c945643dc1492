namespace Graft.Backbones.Torch;

/// <summary>What happened when weights from a file were copied into a network.</summary>
/// <param name="Source">The file the weights came from.</param>
/// <param name="Loaded">The network's state_dict keys that received a tensor, with where each came from.</param>
/// <param name="Missing">The network's keys the file had nothing for (left as initialized).</param>
/// <param name="Unexpected">Tensors in the file that the network has no place for.</param>
public sealed record WeightLoadReport(
    string Source,
    IReadOnlyDictionary<string, string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected)
{
    /// <summary>One line for logs: counts and the first few names on each side of a mismatch.</summary>
    public string Summary()
    {
        var text = $"{Source}: {Loaded.Count} tensors loaded";
        if (Missing.Count > 0)
            text += $"; missing from the file ({Missing.Count}): {Names(Missing)}";
        if (Unexpected.Count > 0)
            text += $"; not used by the network ({Unexpected.Count}): {Names(Unexpected)}";
        return text;
    }

    static string Names(IReadOnlyList<string> keys) =>
        string.Join(", ", keys.Take(12)) + (keys.Count > 12 ? $", ... ({keys.Count - 12} more)" : "");
}
