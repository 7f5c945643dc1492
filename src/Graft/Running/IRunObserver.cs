using Graft.Features;
using Graft.Training;

namespace Graft.Running;

/// <summary>Hears how a run is going: front ends draw progress bars or log lines from it.</summary>
public interface IRunObserver
{
    /// <summary>Feature extraction of <paramref name="split"/> has begun over <paramref name="total"/> images.</summary>
    void ExtractionStarted(string split, int total) { }

    /// <summary>Feature extraction of <paramref name="split"/> moved on.</summary>
    void ExtractionProgressed(string split, ExtractionProgress progress) { }

    /// <summary>Feature extraction of <paramref name="split"/> is over.</summary>
    void ExtractionFinished(string split, FeatureSet features) { }

    /// <summary>Head training has begun, for at most <paramref name="epochs"/> epochs.</summary>
    void TrainingStarted(int epochs) { }

    /// <summary>An epoch ended.</summary>
    void EpochEnded(EpochRecord record) { }
}
