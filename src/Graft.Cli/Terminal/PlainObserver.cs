using System.Globalization;
using Graft.Features;
using Graft.Running;
using Graft.Training;

namespace Graft.Cli.Terminal;

/// <summary>Progress as plain lines on standard error, for logs and redirected output.</summary>
public sealed class PlainObserver(OutputMode mode) : IRunObserver
{
    int _lastTenth = -1;
    int _epochEvery = 1;

    /// <inheritdoc />
    public void ExtractionStarted(string split, int total)
    {
        _lastTenth = -1;
        Say($"{split}: {Counted.Of(total, "image")}");
    }

    /// <inheritdoc />
    public void ExtractionProgressed(string split, ExtractionProgress progress)
    {
        var tenth = progress.Total == 0 ? 10 : progress.Done * 10 / progress.Total;
        if (tenth == _lastTenth || tenth == 0)
            return;
        _lastTenth = tenth;
        Say($"{split}: {progress.Done}/{progress.Total} ({progress.FromCache} from cache)");
    }

    /// <inheritdoc />
    public void TrainingStarted(int epochs)
    {
        // Long runs show about ten epochs in a log; --verbose shows each.
        _epochEvery = mode.Verbose || epochs <= 20 ? 1 : (epochs + 9) / 10;
        Say($"training for up to {Counted.Of(epochs, "epoch")}" + (_epochEvery > 1 ? $" (epoch 1, then one in {_epochEvery} shown; --verbose for all)" : ""));
    }

    /// <inheritdoc />
    public void EpochEnded(EpochRecord r)
    {
        if (r.Epoch <= 1 || r.Epoch % _epochEvery == 0)
            Say(Format(r));
    }

    /// <summary>One epoch as a line.</summary>
    public static string Format(EpochRecord r) =>
        $"epoch {r.Epoch,3}  train loss {F(r.TrainLoss)} acc {F(r.TrainAccuracy)}  " +
        $"val loss {F(r.ValLoss)} acc {F(r.ValAccuracy)}  " +
        $"lr {r.LearningRate.ToString("G3", CultureInfo.InvariantCulture)}{(r.Best ? "  *" : "")}";

    // Epoch 0 of fine-tuning (the starting point) has no training pass: shown as "-".
    static string F(double value) =>
        double.IsFinite(value) ? value.ToString("F4", CultureInfo.InvariantCulture) : "-     ";

    void Say(string line)
    {
        if (!mode.Quiet)
            lock (Console.Error)
                Console.Error.WriteLine(line);
    }
}
