using SkiaSharp;

namespace Graft.Data;

/// <summary>How a decoded image becomes the network's input size.</summary>
/// <param name="Mode">
/// <c>crop</c>: scale the shorter side to <paramref name="ResizeTo"/>, then take the centre
/// <paramref name="Crop"/> x <paramref name="Crop"/> (torchvision's Resize + CenterCrop; ML.NET's
/// aspect-preserving resize with a centre crop when both are equal). <c>stretch</c>: scale each
/// side to <paramref name="Crop"/> without keeping the aspect ratio.
/// </param>
public sealed record ResizeSpec(string Mode, int ResizeTo, int Crop)
{
    /// <summary>The shorter side the decoded image needs before resizing, for scaled decoding.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ShorterSide => Mode == "stretch" ? Crop : ResizeTo;

    /// <summary>The source rectangle to sample and the output size, for a source of the given size.</summary>
    public (SKRect Source, int Width, int Height) Plan(int width, int height)
    {
        if (Mode == "stretch")
            return (new SKRect(0, 0, width, height), Crop, Crop);
        if (Mode != "crop")
            throw new ArgumentException($"resize mode '{Mode}' is not known (use crop or stretch)");

        // The source window that maps onto the crop after scaling the shorter side to ResizeTo.
        var scale = ResizeTo / (double)Math.Min(width, height);
        var cropW = Math.Min(width, Crop / scale);
        var cropH = Math.Min(height, Crop / scale);
        var left = (width - cropW) / 2;
        var top = (height - cropH) / 2;
        return (new SKRect((float)left, (float)top, (float)(left + cropW), (float)(top + cropH)), Crop, Crop);
    }
}
