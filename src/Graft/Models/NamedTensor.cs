namespace Graft.Models;

/// <summary>A float32 tensor as plain data: its shape and its values in row-major order.</summary>
public sealed record NamedTensor(long[] Shape, float[] Data);
