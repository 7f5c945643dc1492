namespace Graft.Backbones;

/// <summary>
/// How an ONNX image model given to <c>--backbone</c> is used; what is left null follows the model
/// (its input size, its first output) or torchvision's ImageNet convention (mean and std).
/// </summary>
/// <param name="Output">The output whose values are the features (<c>--output</c>).</param>
/// <param name="Mean">Per-channel RGB mean on 0-1 pixels (<c>--mean</c>).</param>
/// <param name="Std">Per-channel RGB standard deviation (<c>--std</c>).</param>
/// <param name="Size">Input side in pixels, for models whose input size is not fixed (<c>--size</c>).</param>
public sealed record ImageModelOptions(
    string? Output = null, float[]? Mean = null, float[]? Std = null, int? Size = null);
