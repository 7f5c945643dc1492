namespace Graft.Data;

/// <summary>
/// An 8-bit RGB image, pixels in row-major order, three bytes a pixel, already oriented upright,
/// with any transparency composited onto <see cref="ImageDecoder.Background"/>.
/// </summary>
public sealed record DecodedImage(int Width, int Height, byte[] Rgb)
{
    /// <summary>Notes about the decode that a user should hear (for example a truncated file).</summary>
    public string? Warning { get; init; }
}
