using Graft.Features;
using Graft.Training;

namespace Graft.Running;

/// <summary>Adapts an <see cref="IRunObserver"/> to the progress interfaces of the pipeline and trainer.</summary>
static class Observed
{
    sealed class NoObserver : IRunObserver;

    public static readonly IRunObserver None = new NoObserver();

    public static IProgress<ExtractionProgress> Extraction(IRunObserver observer, string split) =>
        new Callback<ExtractionProgress>(p => observer.ExtractionProgressed(split, p));

    public static IProgress<EpochRecord> Epochs(IRunObserver observer) =>
        new Callback<EpochRecord>(observer.EpochEnded);

    // Progress<T> posts to the thread pool; these run on the reporting thread, in order.
    sealed class Callback<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
