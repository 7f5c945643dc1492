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
            CacheDir = request.CacheDir, NoCache = request.NoCache,
        };
        var (advice, _, _) = new AdviceRun(logger, observer).Run(probe, cancellation);
        logger.LogInformation("Advice: {Situation}; {Strategy}", advice.Situation, advice.StrategyText);
        return Follow(advice, request.Head.Kind);
    }

    /// <summary>
    /// The plan for <paramref name="advice"/>. The fine-tune strategies are not in this build, so
    /// for them the run trains the frozen head on the advised layer and says so.
    /// </summary>
    public static StrategyChoice Follow(Advice advice, string headKind)
    {
        var chosen = $"{headKind} head on frozen {advice.Layer} features";
        var why = $"{advice.Situation}: {advice.StrategyText}. {string.Join("; ", advice.Reasons)}.";
        if (advice.Strategy is TransferStrategy.FineTuneTop or TransferStrategy.FineTuneAll)
            why += " Fine-tuning is not available in this build, so a frozen head on " +
                $"{advice.Layer} was trained instead.";
        if (advice.Warnings.Count > 0)
            why += " " + string.Join(" ", advice.Warnings) + ".";
        return new StrategyChoice(chosen, why, advice.StrategyText, advice.Layer);
    }
}
