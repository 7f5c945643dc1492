using System.Text.Json.Serialization;

namespace Graft.Evaluation;

/// <summary>How one class fared: right answers out of its images.</summary>
public sealed record ClassMetrics(
    [property: JsonPropertyName("correct")] int Correct,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("accuracy")] double? Accuracy);
