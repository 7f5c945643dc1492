namespace Graft.Training;

/// <summary>One line of a run's history.</summary>
public sealed record EpochRecord(
    int Epoch, double TrainLoss, double TrainAccuracy, double ValLoss, double ValAccuracy, double LearningRate,
    bool Best);
