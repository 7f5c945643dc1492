using Graft.Backbones;
using Graft.Evaluation;
using Microsoft.Extensions.Logging;

namespace Graft.Running;

/// <summary><c>graft train --strategy auto</c>: asks <see cref="AdviceRun"/>, turns the advice into a plan.</summary>
public static class AutoStrategy
{
    /// <summary>Measures <paramref name="request"/>'s data and decides what the run trains.</summary>
    public static StrategyChoice Choose(
        TrainRequest request, ILogger logger, IRunObserver observer, CancellationToken cancellation)
    {
        var probe = new ProbeRequest
        {
            DataDir = request.DataDir, ValFraction = request.ValFraction, Seed = request.Options.Seed,
            CacheDir = request.CacheDir, NoCache = request.NoCache, Backbone = request.Backbone,
            CheckpointsDir = request.CheckpointsDir,
        };
        var (advice, _, _) = new AdviceRun(logger, observer).Run(probe, cancellation);
        logger.LogInformation("Advice: {Situation}; {Strategy}", advice.Situation, advice.StrategyText);
        return Follow(advice, request.Head.Kind);
    }

    /// <summary>
    /// The plan for <paramref name="advice"/>: a frozen head on the advised layer, or for the
    /// fine-tune strategies the head on layer4 followed by fine-tuning (last:1 or all).
    /// </summary>
    public static StrategyChoice Follow(Advice advice, string headKind)
    {
        var fineTune = advice.Strategy switch
        {
            TransferStrategy.FineTuneTop => "last:1",
            TransferStrategy.FineTuneAll => "all",
            _ => null,
        };
        var layer = fineTune is null ? advice.Layer : EmbeddedResNet18.TopLayer;
        var chosen = fineTune is null
            ? $"{headKind} head on frozen {layer} features"
            : $"{headKind} head on {layer}, then fine-tuning ({fineTune})";
        var reasons = string.Join("; ", advice.Reasons);
        // The strategy itself is in Chosen and Recommended; Why gives the situation and the evidence.
        var why = $"{Sentence(advice.Situation)}. {Sentence(reasons)}.";
        if (advice.Warnings.Count > 0)
            why += " " + string.Join(" ", advice.Warnings) + ".";
        return new StrategyChoice(chosen, why, advice.StrategyText, layer) { FineTune = fineTune };
    }

    static string Sentence(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
