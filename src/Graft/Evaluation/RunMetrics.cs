using System.Text.Json.Serialization;

namespace Graft.Evaluation;

/// <summary>The shape of metrics.json: classes, image counts, and the metrics of each split.</summary>
public sealed record RunMetrics
{
    /// <summary>Class names in label order.</summary>
    [JsonPropertyName("classes")] public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>Images used and skipped.</summary>
    [JsonPropertyName("images")] public required ImageCounts Images { get; init; }

    /// <summary>Metrics on the training images.</summary>
    [JsonPropertyName("train")] public required SplitMetrics Train { get; init; }

    /// <summary>Metrics on the validation images.</summary>
    [JsonPropertyName("val")] public required SplitMetrics Val { get; init; }

    /// <summary>Metrics on the test images, when there is a test folder.</summary>
    [JsonPropertyName("test")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SplitMetrics? Test { get; init; }

    /// <summary>The epoch whose weights were kept, and why training ended.</summary>
    [JsonPropertyName("training")] public required TrainingSummary Training { get; init; }

    /// <summary>What <c>--strategy auto</c> chose and why; absent when the strategy was given.</summary>
    [JsonPropertyName("strategy")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StrategyChoice? Strategy { get; init; }
}

/// <summary>Images used, and skipped by reason.</summary>
public sealed record ImageCounts(
    [property: JsonPropertyName("used")] int Used,
    [property: JsonPropertyName("skipped")] int Skipped,
    [property: JsonPropertyName("skipped_by_reason")] IReadOnlyDictionary<string, int> SkippedByReason);
