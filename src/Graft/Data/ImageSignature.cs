namespace Graft.Data;

/// <summary>
/// Reads what a file's first bytes say it is, so that decisions and messages follow the bytes,
/// never the file name (PNG files called .jpg are common in scraped data sets).
/// </summary>
internal static class ImageSignature
{
    static ReadOnlySpan<byte> Png => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The format the leading bytes announce ("JPEG", "PNG", ...), or null when unknown.</summary>
    public static string? Format(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
            return "JPEG";
        if (bytes.StartsWith(Png))
            return "PNG";
        if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8))
            return "GIF";
        if (bytes.StartsWith("BM"u8) && bytes.Length >= 14)
            return "BMP";
        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
            return "WebP";
        if (bytes.StartsWith("II*\0"u8) || bytes.StartsWith("MM\0*"u8))
            return "TIFF";
        if (bytes.Length >= 12 && bytes[4..8].SequenceEqual("ftyp"u8))
            return "HEIF/AVIF";
        return null;
    }

    /// <summary>
    /// True when a PNG signature is followed by something other than the IHDR chunk that must
    /// come first: the file is damaged or is not a PNG at all, rather than merely cut short.
    /// </summary>
    public static bool IsPngWithDamagedHeader(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith(Png) && bytes.Length >= 16 && !bytes[12..16].SequenceEqual("IHDR"u8);

    /// <summary>
    /// True when a JPEG's compressed data is followed by its end-of-image marker. libjpeg pads a
    /// cut-off file silently (and Skia then reports success), so this is how a truncated JPEG is
    /// noticed. Markers are walked up to the first scan; after it any FF D9 is a real end marker,
    /// because an FF byte inside compressed data is always followed by 00.
    /// </summary>
    public static bool JpegHasEnd(ReadOnlySpan<byte> bytes)
    {
        var pos = 2;
        while (pos + 4 <= bytes.Length)
        {
            if (bytes[pos] != 0xFF)
                return false;
            var marker = bytes[pos + 1];
            if (marker == 0xFF)
            {
                pos++;
                continue;
            }
            if (marker == 0xD9)
                return true;
            if (marker == 0xDA)
                return bytes[(pos + 2)..].IndexOf([(byte)0xFF, (byte)0xD9]) >= 0;
            if (marker is 0x01 or >= 0xD0 and <= 0xD7)
            {
                pos += 2;
                continue;
            }
            pos += 2 + (bytes[pos + 2] << 8 | bytes[pos + 3]);
        }
        return false;
    }
}
