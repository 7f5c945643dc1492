namespace Graft.Data;

/// <summary>
/// An 8-bit RGB image, pixels in row-major order, three bytes a pixel, already oriented upright,
/// with any transparency composited onto <see cref="ImageDecoder.Background"/>.
/// </summary>
public sealed record DecodedImage(int Width, int Height, byte[] Rgb)
{
    /// <summary>Notes about the decode that a user should hear (for example a truncated file).</summary>
    public string? Warning { get; init; }

    /// <summary>
    /// The size of the bitmap the file was decoded into before orientation and resizing: smaller
    /// than the file's own size when a scaled decode kept memory down. For tests and diagnostics.
    /// </summary>
    internal (int Width, int Height) DecodedSize { get; init; }
}
