using Graft.Heads;

namespace Graft.Training;

/// <summary>The outcome of training a head: the best weights by val loss, and the history.</summary>
public sealed record TrainedHead(Classifier Head, IReadOnlyList<EpochRecord> History, int BestEpoch, string StopReason);
