using System.Collections.Concurrent;
using Graft.Features;
using Graft.Running;
using Graft.Training;
using Spectre.Console;

namespace Graft.Cli.Terminal;

/// <summary>Progress bars on a terminal: one per split's extraction, one for the epochs.</summary>
public sealed class ProgressObserver(ProgressContext context) : IRunObserver
{
    readonly ConcurrentDictionary<string, ProgressTask> _tasks = new();
    ProgressTask? _epochs;

    /// <inheritdoc />
    public void ExtractionStarted(string split, int total) =>
        _tasks[split] = context.AddTask($"features: {Markup.Escape(split)}", maxValue: Math.Max(1, total));

    /// <inheritdoc />
    public void ExtractionProgressed(string split, ExtractionProgress progress)
    {
        if (_tasks.TryGetValue(split, out var task))
        {
            task.Value = progress.Done;
            task.Description = $"features: {Markup.Escape(split)} ({progress.FromCache} cached)";
        }
    }

    /// <inheritdoc />
    public void ExtractionFinished(string split, FeatureSet features)
    {
        if (_tasks.TryGetValue(split, out var task))
            task.Value = task.MaxValue;
    }

    /// <inheritdoc />
    public void TrainingStarted(int epochs) => _epochs = context.AddTask("training", maxValue: epochs);

    /// <inheritdoc />
    public void EpochEnded(EpochRecord record)
    {
        if (_epochs is null)
            return;
        _epochs.Value = record.Epoch;
        _epochs.Description = $"training: epoch {record.Epoch}, val acc {record.ValAccuracy:F3}";
    }

    /// <summary>Runs <paramref name="work"/> under progress bars.</summary>
    public static T Run<T>(Func<IRunObserver, T> work)
    {
        var progress = AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn());
        return progress.Start(context => work(new ProgressObserver(context)));
    }
}
