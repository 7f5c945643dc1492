using Graft.Backbones;
using Graft.Data;

namespace Graft.Training;

/// <summary>
/// The decoded images fine-tuning learns from, held in memory so each epoch only crops and
/// flips them instead of decoding the files again.
/// </summary>
/// <param name="Train">Training images, resized to a square of the preprocessing's resize size.</param>
/// <param name="TrainLabels">Their class indices.</param>
/// <param name="Val">Validation images, already at the network's input size.</param>
/// <param name="ValLabels">Their class indices.</param>
/// <param name="Preprocessing">Turns a crop into the network's input.</param>
/// <param name="Layer">The stage whose pooled features feed the head.</param>
public sealed record FineTuneData(
    IReadOnlyList<DecodedImage> Train, int[] TrainLabels, IReadOnlyList<DecodedImage> Val, int[] ValLabels,
    Preprocessing Preprocessing, string Layer);
