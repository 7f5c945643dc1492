using System.Text.Json.Serialization;

namespace Graft.Evaluation;

/// <summary>The strategy a run followed when asked to choose one, and why.</summary>
/// <param name="Chosen">What was trained, such as "linear head on frozen layer4 features".</param>
/// <param name="Why">The situation, the advice, and anything that kept the run from following it.</param>
/// <param name="Recommended">The advisor's strategy, which may differ from the chosen one.</param>
/// <param name="Layer">The layer the head was trained on.</param>
public sealed record StrategyChoice(
    [property: JsonPropertyName("chosen")] string Chosen,
    [property: JsonPropertyName("why")] string Why,
    [property: JsonPropertyName("recommended")] string Recommended,
    [property: JsonPropertyName("layer")] string Layer)
{
    /// <summary>The <c>--finetune</c> setting the advice leads to (last:1 or all), or null for a frozen head.</summary>
    [JsonPropertyName("finetune")]
    public string? FineTune { get; init; }
}
