using System.Text.Json.Serialization;

namespace Graft.Evaluation;

/// <summary>
/// Which head was trained, on what, how many epochs each phase ran, which epoch's weights were
/// kept, and why training ended. A frozen run has one phase, <c>head</c> (on frozen features); a
/// fine-tuned run has <c>head</c> and then <c>finetune</c>, whose epoch 0 is its starting point
/// (the head phase's best epoch), so fine-tuning epochs count from 1.
/// </summary>
public sealed record TrainingSummary
{
    /// <summary>The backbone's id.</summary>
    [JsonPropertyName("backbone")] public required string Backbone { get; init; }

    /// <summary>The stage the head sees.</summary>
    [JsonPropertyName("layer")] public required string Layer { get; init; }

    /// <summary>The head's kind.</summary>
    [JsonPropertyName("head")] public required string Head { get; init; }

    /// <summary>Training epochs run in all phases: head epochs plus fine-tuning epochs.</summary>
    [JsonPropertyName("epochs_run")] public required int EpochsRun { get; init; }

    /// <summary>The kept epoch, counted within <see cref="BestPhase"/>.</summary>
    [JsonPropertyName("best_epoch")] public required int BestEpoch { get; init; }

    /// <summary>
    /// <c>head</c> or <c>finetune</c>: the phase whose epoch was kept. A fine-tuned run that never
    /// beat its starting point keeps the head phase's best epoch.
    /// </summary>
    [JsonPropertyName("best_phase")] public required string BestPhase { get; init; }

    /// <summary>Epochs of the head on frozen features.</summary>
    [JsonPropertyName("head_epochs")] public required int HeadEpochs { get; init; }

    /// <summary>The head phase's epoch with the lowest val loss.</summary>
    [JsonPropertyName("head_best_epoch")] public required int HeadBestEpoch { get; init; }

    /// <summary>Fine-tuning epochs run, the starting point not counted; absent for a frozen run.</summary>
    [JsonPropertyName("finetune_epochs")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? FineTuneEpochs { get; init; }

    /// <summary>Fine-tuning's epoch with the lowest val loss (0: its starting point); absent when frozen.</summary>
    [JsonPropertyName("finetune_best_epoch")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? FineTuneBestEpoch { get; init; }

    /// <summary>Why training ended.</summary>
    [JsonPropertyName("stop_reason")] public required string StopReason { get; init; }

    /// <summary>The summary of a head trained on frozen features.</summary>
    public static TrainingSummary Frozen(
        string backbone, string layer, string head, int epochs, int bestEpoch, string stopReason) => new()
    {
        Backbone = backbone, Layer = layer, Head = head, EpochsRun = epochs, BestEpoch = bestEpoch,
        BestPhase = "head", HeadEpochs = epochs, HeadBestEpoch = bestEpoch, StopReason = stopReason,
    };

    /// <summary>The summary of a head trained on frozen features and then fine-tuned with the backbone.</summary>
    public static TrainingSummary FineTuned(string backbone, string layer, string head, int headEpochs,
        int headBestEpoch, int fineTuneEpochs, int fineTuneBestEpoch, string stopReason) => new()
    {
        Backbone = backbone, Layer = layer, Head = head, EpochsRun = headEpochs + fineTuneEpochs,
        BestEpoch = fineTuneBestEpoch > 0 ? fineTuneBestEpoch : headBestEpoch,
        BestPhase = fineTuneBestEpoch > 0 ? "finetune" : "head", HeadEpochs = headEpochs,
        HeadBestEpoch = headBestEpoch, FineTuneEpochs = fineTuneEpochs, FineTuneBestEpoch = fineTuneBestEpoch,
        StopReason = stopReason,
    };
}
