using System.Diagnostics;
using Graft.Data;
using SkiaSharp;

namespace Graft.Tests;

/// <summary>Files that are cut short, empty, not images at all, or too large to be safe.</summary>
public class UndecodableImageTests
{
    static readonly ResizeSpec Crop = new("crop", 256, 224);

    static ImageDecodeException Refused(string path)
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path, Crop));
        Assert.Equal(path, e.Path);
        Assert.StartsWith(path, e.Message);
        Assert.Contains(e.Reason, e.Message);
        return e;
    }

    [Fact]
    public void SkipsUndecodableFilesAndNamesThem()
    {
        using var folder = new TempFolder();
        var empty = folder.File("empty.jpg");
        File.WriteAllBytes(empty, []);
        var text = folder.File("notes.png");
        File.WriteAllText(text, "These are my holiday notes, not a picture.\n");
        var noise = folder.File("noise.jpg");
        File.WriteAllBytes(noise, Enumerable.Range(0, 400).Select(i => (byte)(i * 37 + 11)).ToArray());
        var tiff = folder.File("scan.tif");
        File.WriteAllBytes(tiff, [.. "II*\0"u8, 8, 0, 0, 0, 0, 0]);

        Assert.Equal("empty file", Refused(empty).Kind);
        var e = Refused(text);
        Assert.Equal("not an image", e.Kind);
        Assert.Contains("text", e.Reason);
        Assert.Equal("not an image", Refused(noise).Kind);
        Assert.Equal("unsupported format", Refused(tiff).Kind);
        Assert.Equal("unreadable", Refused(folder.File("missing.jpg")).Kind);
    }

    [Fact]
    public void RefusesAPngWhoseHeaderIsDamaged()
    {
        using var folder = new TempFolder();
        using var bitmap = TestImages.Solid(8, 8, SKColors.Olive);
        var png = TestImages.Encode(bitmap, SKEncodedImageFormat.Png);
        png[12] = (byte)'X';    // IHDR becomes XHDR
        var path = folder.File("damaged.png");
        File.WriteAllBytes(path, png);

        Assert.Equal("not an image", Refused(path).Kind);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("gif")]
    public void RefusesADecompressionBombBeforeAllocating(string format)
    {
        // Under a hundred bytes whose header declares 65535 x 65535 pixels (17 GB as RGBA).
        var header = format == "png" ? TestImages.PngDeclaring(65535, 65535) : TestImages.GifDeclaring(65535, 65535);
        using var folder = new TempFolder();
        var path = folder.File($"bomb.{format}");
        File.WriteAllBytes(path, header);

        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var e = Refused(path);

        Assert.Equal("too large", e.Kind);
        Assert.Contains("65535x65535", e.Reason);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 1 << 20, "allocated over 1 MB");
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Png)]
    public void DecodesWhatATruncatedFileHoldsAndWarns(SKEncodedImageFormat format)
    {
        using var noise = TestImages.Noise(300, 300, seed: 5);
        var whole = TestImages.Encode(noise, format);
        var cut = whole[..(whole.Length * 6 / 10)];

        var complete = ImageDecoder.Decode(whole, "whole", Crop);
        var truncated = ImageDecoder.Decode(cut, "cut", Crop);

        Assert.Null(complete.Warning);
        Assert.NotNull(truncated.Warning);
        Assert.Contains("truncated", truncated.Warning);
        Assert.Equal((224, 224), (truncated.Width, truncated.Height));

        // The top of the picture was in the part that survived, so it decodes as before.
        var difference = 0.0;
        for (var i = 0; i < 3 * 224 * 20; i++)
            difference += Math.Abs(complete.Rgb[i] - truncated.Rgb[i]);
        Assert.True(difference / (3 * 224 * 20) < 2, $"top rows differ by {difference / (3 * 224 * 20):F1}");
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Png)]
    public void RefusesAFileCutInsideItsHeader(SKEncodedImageFormat format)
    {
        using var bitmap = TestImages.Noise(40, 40, seed: 6);
        var whole = TestImages.Encode(bitmap, format);
        using var folder = new TempFolder();
        var path = folder.File("cut." + format.ToString().ToLowerInvariant());
        File.WriteAllBytes(path, whole[..20]);

        var e = Refused(path);

        Assert.Equal("truncated", e.Kind);
    }
}
