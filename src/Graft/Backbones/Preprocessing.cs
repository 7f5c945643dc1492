using System.Text.Json.Serialization;
using Graft.Data;

namespace Graft.Backbones;

/// <summary>
/// Everything that turns a decoded RGB image into a backbone's input tensor. It belongs to the
/// backbone and is stored in every saved model, so training and prediction always agree.
/// </summary>
/// <param name="Resize">Resize mode and sizes.</param>
/// <param name="ChannelOrder">"RGB" or "BGR": the order of the input tensor's channels.</param>
/// <param name="Scale">Multiplies 0-255 pixel values first (1/255 for 0-1 inputs, 1 for 0-255).</param>
/// <param name="Mean">Subtracted per channel, in <paramref name="ChannelOrder"/>, after scaling.</param>
/// <param name="Std">Divides per channel, after the mean.</param>
public sealed record Preprocessing(ResizeSpec Resize, string ChannelOrder, float Scale, float[] Mean, float[] Std)
{
    /// <summary>
    /// A per-pixel mean image [3, crop, crop] in <see cref="ChannelOrder"/>, subtracted instead of
    /// <see cref="Mean"/> when present (the embedded ResNet-18's convention).
    /// </summary>
    [JsonIgnore]
    public float[]? MeanImage { get; init; }

    /// <summary>Number of floats in one input tensor.</summary>
    [JsonIgnore]
    public int InputLength => 3 * Resize.Crop * Resize.Crop;

    /// <summary>Writes the CHW input tensor for <paramref name="image"/> into <paramref name="destination"/>.</summary>
    public void ToTensor(DecodedImage image, Span<float> destination)
    {
        var plane = image.Width * image.Height;
        if (destination.Length < 3 * plane)
            throw new ArgumentException($"destination holds {destination.Length} floats, {3 * plane} needed");

        var bgr = ChannelOrder == "BGR";
        for (var c = 0; c < 3; c++)
        {
            var source = bgr ? 2 - c : c;
            var mean = Mean[c];
            var inverseStd = 1f / Std[c];
            var output = destination.Slice(c * plane, plane);
            for (var p = 0; p < plane; p++)
            {
                var value = image.Rgb[3 * p + source] * Scale;
                value -= MeanImage is null ? mean : MeanImage[c * plane + p];
                output[p] = value * inverseStd;
            }
        }
    }

    /// <summary>A short text that changes whenever the produced tensors would change.</summary>
    public string Fingerprint()
    {
        var meanImage = MeanImage is null ? "none" : Checksum(MeanImage);
        return $"{Resize.Mode}:{Resize.ResizeTo}:{Resize.Crop}:{ChannelOrder}:{Scale:R}:" +
               $"{string.Join(',', Mean.Select(m => m.ToString("R")))}:" +
               $"{string.Join(',', Std.Select(s => s.ToString("R")))}:{meanImage}";
    }

    static string Checksum(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..16];
    }

    /// <summary>torchvision's ImageNet convention: RGB, 0-1, ImageNet mean and std.</summary>
    public static Preprocessing TorchVision(int resizeTo = 256, int crop = 224) => new(
        new ResizeSpec("crop", resizeTo, crop), "RGB", 1f / 255f,
        [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
}
