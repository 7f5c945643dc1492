namespace Graft.Data;

/// <summary>One image file and the index of its class (-1 when unlabelled).</summary>
public sealed record LabeledImage(string Path, int Label);
