using Graft.Evaluation;
using Graft.Training;

namespace Graft.Running;

/// <summary>The outcome of <c>graft train</c>.</summary>
public sealed record TrainResult(
    RunMetrics Metrics, IReadOnlyList<EpochRecord> History, string ModelPath, int FromCache, int Extracted,
    RunSummary Summary);
