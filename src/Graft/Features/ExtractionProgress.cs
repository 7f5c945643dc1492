namespace Graft.Features;

/// <summary>How far feature extraction has got.</summary>
public readonly record struct ExtractionProgress(int Done, int Total, int FromCache);
