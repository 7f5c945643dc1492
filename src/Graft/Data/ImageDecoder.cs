using SkiaSharp;

namespace Graft.Data;

/// <summary>
/// Decodes any format SkiaSharp knows (JPEG, PNG, GIF, BMP, WebP, ICO, WBMP, HEIF where present),
/// chosen from the file's bytes rather than its name, into upright 8-bit RGB at a requested size.
/// </summary>
/// <remarks>
/// Grayscale, CMYK, palette and 16-bit sources all become 8-bit RGB; 16-bit samples are scaled,
/// not clipped. Transparent pixels are composited onto <see cref="Background"/> (white), the same
/// at training and prediction time. EXIF orientation is applied before resizing. Animated images
/// give their first frame. Files that declare more than <see cref="MaxPixels"/> pixels are refused
/// before anything is allocated, and large JPEGs are decoded at a reduced scale.
/// </remarks>
public static class ImageDecoder
{
    /// <summary>The colour transparent areas are composited onto.</summary>
    public static readonly SKColor Background = SKColors.White;

    /// <summary>The largest image, in declared pixels, that will be decoded (about 179 million).</summary>
    public const long MaxPixels = 178_956_970;

    /// <summary>
    /// Decodes <paramref name="path"/> and resizes it the way <paramref name="resize"/> says.
    /// </summary>
    /// <exception cref="ImageDecodeException">The file is not a decodable image.</exception>
    public static DecodedImage Decode(string path, ResizeSpec resize)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, "unreadable", $"cannot be read ({e.Message})");
        }
        return Decode(bytes, path, resize);
    }

    /// <summary>Decodes image bytes; <paramref name="name"/> is used in messages only.</summary>
    public static DecodedImage Decode(byte[] bytes, string name, ResizeSpec resize)
    {
        if (bytes.Length == 0)
            throw new ImageDecodeException(name, "empty file", "empty file (0 bytes)");

        using var stream = new SKMemoryStream(bytes);
        using var codec = SKCodec.Create(stream, out var created);
        if (codec is null)
        {
            var truncated = created == SKCodecResult.IncompleteInput && HasImageSignature(bytes);
            throw new ImageDecodeException(name, truncated ? "truncated" : "not an image",
                truncated ? "truncated image (header incomplete)" : DescribeFailure(bytes));
        }

        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
            throw new ImageDecodeException(name, "not an image", "image declares no pixels");
        if ((long)info.Width * info.Height > MaxPixels)
            throw new ImageDecodeException(name, "too large",
                $"declares {info.Width}x{info.Height} pixels, over the limit of {MaxPixels:N0} " +
                "(a possible decompression bomb)");

        var (decoded, warning) = DecodeScaled(codec, name, resize);
        using (decoded)
        {
            using var upright = ApplyOrientation(decoded, codec.EncodedOrigin);
            var rgb = Resize(upright ?? decoded, resize);
            return rgb with { Warning = warning };
        }
    }

    static string DescribeFailure(byte[] bytes) =>
        LooksLikeText(bytes) ? "not an image (looks like text)" : "not an image (unknown format)";

    // Skia reports a few bytes of anything as "incomplete input"; only a known signature makes it a truncated image.
    static bool HasImageSignature(byte[] b) =>
        StartsWith(b, 0, 0xFF, 0xD8, 0xFF) || StartsWith(b, 0, 0x89, (byte)'P', (byte)'N', (byte)'G')
        || StartsWith(b, 0, (byte)'G', (byte)'I', (byte)'F', (byte)'8') || StartsWith(b, 0, (byte)'B', (byte)'M')
        || (StartsWith(b, 0, (byte)'R', (byte)'I', (byte)'F', (byte)'F') && StartsWith(b, 8, (byte)'W', (byte)'E', (byte)'B', (byte)'P'))
        || StartsWith(b, 0, 0, 0, 1, 0) || StartsWith(b, 4, (byte)'f', (byte)'t', (byte)'y', (byte)'p');

    static bool StartsWith(byte[] bytes, int offset, params byte[] signature) =>
        bytes.Length >= offset + signature.Length && bytes.AsSpan(offset, signature.Length).SequenceEqual(signature);

    static bool LooksLikeText(byte[] bytes)
    {
        var n = Math.Min(bytes.Length, 512);
        for (var i = 0; i < n; i++)
        {
            var b = bytes[i];
            if (b < 9 || (b > 13 && b < 32 && b != 27))
                return false;
        }
        return true;
    }

    static (SKBitmap Bitmap, string? Warning) DecodeScaled(SKCodec codec, string name, ResizeSpec resize)
    {
        // Decode straight to a smaller size when the codec can (JPEG scales by 1/2, 1/4, 1/8),
        // keeping the shorter side at least as large as what the resize needs.
        var size = codec.Info.Size;
        var oriented = IsTransposed(codec.EncodedOrigin) ? new SKSizeI(size.Height, size.Width) : size;
        var needed = resize.ShorterSide;
        var scale = Math.Min(1f, needed / (float)Math.Min(oriented.Width, oriented.Height));
        var scaled = codec.GetScaledDimensions(scale);
        if (Math.Min(scaled.Width, scaled.Height) < Math.Min(needed, Math.Min(size.Width, size.Height)))
            scaled = size;

        var info = new SKImageInfo(scaled.Width, scaled.Height, SKColorType.Rgba8888, SKAlphaType.Premul,
            SKColorSpace.CreateSrgb());
        var bitmap = new SKBitmap(info);
        var options = new SKCodecOptions(0);
        var result = codec.GetPixels(info, bitmap.GetPixels(), options);
        switch (result)
        {
            case SKCodecResult.Success:
                return (bitmap, null);
            case SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput:
                return (bitmap, "truncated or damaged: decoded what is there, the rest is filled");
            default:
                bitmap.Dispose();
                throw new ImageDecodeException(name, "not an image", $"cannot be decoded ({result})");
        }
    }

    static bool IsTransposed(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop
            or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    static SKBitmap? ApplyOrientation(SKBitmap source, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft || origin == SKEncodedOrigin.Default)
            return null;

        var transposed = IsTransposed(origin);
        var w = transposed ? source.Height : source.Width;
        var h = transposed ? source.Width : source.Height;
        var result = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(result);
        canvas.SetMatrix(OrientationMatrix(origin, source.Width, source.Height));
        canvas.DrawBitmap(source, 0, 0, new SKSamplingOptions(SKFilterMode.Nearest));
        return result;
    }

    static SKMatrix OrientationMatrix(SKEncodedOrigin origin, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
        _ => SKMatrix.Identity,
    };

    static DecodedImage Resize(SKBitmap source, ResizeSpec resize)
    {
        var (srcRect, outW, outH) = resize.Plan(source.Width, source.Height);
        var info = new SKImageInfo(outW, outH, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = new SKBitmap(info);
        using (var canvas = new SKCanvas(surface))
        {
            canvas.Clear(Background);
            using var image = SKImage.FromBitmap(source);
            using var paint = new SKPaint();
            var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
            canvas.DrawImage(image, srcRect, new SKRect(0, 0, outW, outH), sampling, paint);
        }

        var pixels = surface.GetPixelSpan();
        var rgb = new byte[outW * outH * 3];
        for (int p = 0, q = 0; q < rgb.Length; p += 4, q += 3)
        {
            rgb[q] = pixels[p];
            rgb[q + 1] = pixels[p + 1];
            rgb[q + 2] = pixels[p + 2];
        }
        return new DecodedImage(outW, outH, rgb);
    }
}
