namespace Graft.Heads;

/// <summary>What kind of classifier sits on the features, and its sizes.</summary>
/// <param name="Kind"><c>linear</c>, <c>mlp</c> or <c>svm</c>.</param>
/// <param name="Hidden">Hidden layer widths of the mlp head (ignored by the others).</param>
/// <param name="Dropout">Dropout probability after each hidden layer of the mlp head.</param>
public sealed record HeadSpec(string Kind, int[] Hidden, double Dropout)
{
    /// <summary>The head kinds Graft knows.</summary>
    public static readonly string[] Kinds = ["linear", "mlp", "svm"];

    /// <summary>The classic transfer-learning head: 512 -> 1028 -> 512 -> classes, dropout 0.5.</summary>
    public static readonly int[] DefaultHidden = [1028, 512];

    /// <summary>A head of the given kind with default sizes.</summary>
    public static HeadSpec Of(string kind, int[]? hidden = null, double dropout = 0.5)
    {
        if (!Kinds.Contains(kind))
            throw new GraftException($"--head '{kind}' is not known (use {string.Join(", ", Kinds)})");
        if (!(dropout >= 0 && dropout < 1))
            throw new GraftException($"--dropout must be in [0, 1) (got {dropout})");
        return new HeadSpec(kind, kind == "mlp" ? hidden ?? DefaultHidden : [], kind == "mlp" ? dropout : 0);
    }
}
