namespace Graft.Training;

/// <summary>Where a fine-tuning run stands after an epoch: what a checkpoint needs to go on.</summary>
/// <param name="Epoch">The last completed fine-tuning epoch (0: only the head has been trained).</param>
/// <param name="BestEpoch">The epoch with the lowest val loss so far.</param>
/// <param name="BestValLoss">That loss.</param>
/// <param name="History">One record per completed epoch, epoch 0 (the starting point) first.</param>
/// <param name="StopReason">Why training ended; null while it can go on.</param>
public sealed record FineTuneState(
    int Epoch, int BestEpoch, double BestValLoss, IReadOnlyList<EpochRecord> History, string? StopReason = null)
{
    /// <summary>True when the run ended because it was asked to stop, and can be resumed.</summary>
    public bool Interrupted { get; init; }

    /// <summary>The history of the head's training on frozen features, before fine-tuning began.</summary>
    public IReadOnlyList<EpochRecord> HeadHistory { get; init; } = [];

    /// <summary>
    /// The weights fingerprint of the model file saved at <see cref="BestEpoch"/>, so a resumed run can
    /// tell that the model file beside the checkpoint is still the one this run wrote.
    /// </summary>
    public string? BestModel { get; init; }
}
