using SkiaSharp;

namespace Graft.Data;

/// <summary>
/// Decodes any format SkiaSharp knows (JPEG, PNG, GIF, BMP, WebP, ICO, WBMP, HEIF where present),
/// chosen from the file's bytes rather than its name, into upright 8-bit RGB at a requested size.
/// </summary>
/// <remarks>
/// <para>
/// Grayscale, CMYK, YCCK, palette and 16-bit sources all become 8-bit RGB; 16-bit samples are
/// scaled, not clipped. Transparent pixels are composited onto <see cref="Background"/> (white),
/// the same at training and prediction time. EXIF orientation is applied before resizing.
/// Animated images give their first frame.
/// </para>
/// <para>
/// Memory: files that declare more than <see cref="MaxPixels"/> pixels are refused before any
/// pixel memory is allocated. JPEG and WebP are decoded at a reduced scale, no smaller than the
/// resize needs, so a large photo costs a few megabytes. PNG, GIF and BMP cannot be decoded
/// scaled by SkiaSharp (nor row by row, for PNG), so they take 4 bytes a declared pixel while
/// they decode, up to about 700 MB at the limit.
/// </para>
/// <para>
/// Truncated files whose header is complete are decoded as far as the data goes, the rest
/// filled in, and <see cref="DecodedImage.Warning"/> says so; training keeps them and reports
/// them. Files cut inside their header, empty files, files that are not images, damaged
/// headers and unsupported formats raise <see cref="ImageDecodeException"/>.
/// </para>
/// </remarks>
public static class ImageDecoder
{
    /// <summary>The colour transparent areas are composited onto.</summary>
    public static readonly SKColor Background = SKColors.White;

    /// <summary>The largest image, in declared pixels, that will be decoded (about 179 million).</summary>
    public const long MaxPixels = 178_956_970;

    const string TruncatedWarning = "truncated or damaged: decoded what is there, the rest is filled in";

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
    /// <exception cref="ImageDecodeException">The bytes are not a decodable image.</exception>
    public static DecodedImage Decode(byte[] bytes, string name, ResizeSpec resize)
    {
        if (bytes.Length == 0)
            throw new ImageDecodeException(name, "empty file", "empty file (0 bytes)");
        if (ImageSignature.IsPngWithDamagedHeader(bytes))
            throw new ImageDecodeException(name, "not an image",
                "starts like a PNG but its header is damaged (no IHDR chunk)");

        using var stream = new SKMemoryStream(bytes);
        using var codec = SKCodec.Create(stream, out var created);
        if (codec is null)
            throw CreateFailure(name, created, bytes);

        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
            throw new ImageDecodeException(name, "not an image", "image declares no pixels");
        if ((long)info.Width * info.Height > MaxPixels)
            throw new ImageDecodeException(name, "too large",
                $"declares {info.Width}x{info.Height} pixels, over the limit of {MaxPixels:N0} " +
                "(a possible decompression bomb)");

        var (decoded, warning) = DecodeReduced(codec, bytes, name, resize);
        using (decoded)
        {
            using var upright = ApplyOrientation(decoded, codec.EncodedOrigin);
            var rgb = Resize(upright ?? decoded, resize);
            return rgb with { Warning = warning, DecodedSize = (decoded.Width, decoded.Height) };
        }
    }

    static ImageDecodeException CreateFailure(string name, SKCodecResult result, byte[] bytes)
    {
        var format = ImageSignature.Format(bytes);
        if (format is "TIFF" or "HEIF/AVIF")
            return new ImageDecodeException(name, "unsupported format",
                $"{format} images cannot be decoded here; convert it to PNG or JPEG");
        if (format is not null && result == SKCodecResult.IncompleteInput)
            return new ImageDecodeException(name, "truncated",
                $"truncated {format} (the header is incomplete)");
        if (format is not null)
            return new ImageDecodeException(name, "not an image",
                $"starts like a {format} but cannot be read ({result})");
        return new ImageDecodeException(name, "not an image",
            LooksLikeText(bytes) ? "not an image (looks like text)" : "not an image (unknown format)");
    }

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

    static (SKBitmap Bitmap, string? Warning) DecodeReduced(
        SKCodec codec, byte[] bytes, string name, ResizeSpec resize)
    {
        var size = codec.Info.Size;
        var shorter = Math.Min(size.Width, size.Height);
        var needed = resize.ShorterSide;

        // JPEG decodes straight to 1/2, 1/4 or 1/8 of its size (WebP to any size); take the
        // smallest that still leaves the shorter side at least as long as the resize needs.
        if (needed < shorter)
        {
            var scaled = codec.GetScaledDimensions(needed / (float)shorter);
            if (scaled != size && Math.Min(scaled.Width, scaled.Height) >= needed)
            {
                var result = TryDecode(codec, bytes, name, scaled);
                if (result is not null)
                    return result.Value;
            }
        }

        return TryDecode(codec, bytes, name, size)
               ?? throw new ImageDecodeException(name, "not an image", "cannot be decoded at its own size");
    }

    static SKImageInfo Rgba(int width, int height) =>
        new(width, height, SKColorType.Rgba8888, SKAlphaType.Premul, SKColorSpace.CreateSrgb());

    /// <summary>Decodes the first frame at <paramref name="size"/>; null when the codec cannot scale to it.</summary>
    static (SKBitmap, string?)? TryDecode(SKCodec codec, byte[] bytes, string name, SKSizeI size)
    {
        var info = Rgba(size.Width, size.Height);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels(), new SKCodecOptions(0));
        switch (result)
        {
            case SKCodecResult.Success:
                var cut = codec.EncodedFormat == SKEncodedImageFormat.Jpeg && !ImageSignature.JpegHasEnd(bytes);
                return (bitmap, cut ? TruncatedWarning : null);
            case SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput:
                return (bitmap, TruncatedWarning);
            case SKCodecResult.InvalidScale when size != codec.Info.Size:
                bitmap.Dispose();
                return null;
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
            // Immutable, so the image shares the bitmap's pixels instead of copying them.
            source.SetImmutable();
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
