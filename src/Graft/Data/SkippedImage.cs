namespace Graft.Data;

/// <summary>An image that was left out (or used with a warning), the category, and why.</summary>
public sealed record SkippedImage(string Path, string Kind, string Reason);
