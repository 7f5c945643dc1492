using Graft.Data;
using SkiaSharp;

namespace Graft.Tests;

/// <summary>Every kind of source pixel ends up as plain 8-bit RGB with the colours it should have.</summary>
public class ImageColourTests
{
    static readonly ResizeSpec Stretch16 = new("stretch", 16, 16);

    static void AssertClose(SKColor expected, SKColor actual, int tolerance, string what) =>
        Assert.True(Math.Abs(expected.Red - actual.Red) <= tolerance
                    && Math.Abs(expected.Green - actual.Green) <= tolerance
                    && Math.Abs(expected.Blue - actual.Blue) <= tolerance,
            $"{what}: expected {expected}, got {actual}");

    [Theory]
    [InlineData("png", "photo.jpg")]
    [InlineData("bmp", "photo.jpg")]
    [InlineData("jpeg", "photo.JPG")]
    [InlineData("jpeg", "photo.Jpeg")]
    [InlineData("png", "photo")]
    public void RecognisesTheFormatFromTheBytesNotTheName(string format, string fileName)
    {
        var colour = new SKColor(200, 40, 90);
        using var bitmap = TestImages.Solid(24, 24, colour);
        var bytes = format switch
        {
            "png" => TestImages.Encode(bitmap, SKEncodedImageFormat.Png),
            "bmp" => TestImages.Bmp(24, 24, (_, _) => colour),
            _ => TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg),
        };
        using var folder = new TempFolder();
        var path = folder.File(fileName);
        File.WriteAllBytes(path, bytes);

        var image = ImageDecoder.Decode(path, Stretch16);

        Assert.Null(image.Warning);
        AssertClose(colour, TestImages.Pixel(image, 8, 8), format == "jpeg" ? 6 : 0, fileName);
    }

    [Fact]
    public void ExpandsGrayscaleJpegToThreeEqualChannels()
    {
        using var gray = new SKBitmap(new SKImageInfo(64, 64, SKColorType.Gray8, SKAlphaType.Opaque));
        var pixels = gray.GetPixelSpan();
        for (var i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)(i % 64 * 4);
        var bytes = TestImages.Encode(gray, SKEncodedImageFormat.Jpeg);
        using (var codec = SKCodec.Create(new SKMemoryStream(bytes)))
            Assert.Equal(SKColorType.Gray8, codec.Info.ColorType);   // really a one-channel JPEG

        var image = ImageDecoder.Decode(bytes, "gray.jpg", new ResizeSpec("stretch", 64, 64));

        for (var p = 0; p < image.Rgb.Length; p += 3)
            Assert.True(image.Rgb[p] == image.Rgb[p + 1] && image.Rgb[p] == image.Rgb[p + 2], $"pixel {p / 3}");
        Assert.True(TestImages.Pixel(image, 60, 30).Red > TestImages.Pixel(image, 4, 30).Red + 150);
    }

    // Inks (cyan, magenta, yellow, black; 255 = full ink) of the blocks in the CMYK and YCCK tests.
    public static TheoryData<byte, byte, byte, byte> Inks => new()
    {
        { 0, 255, 255, 0 },       // red
        { 25, 135, 225, 0 },      // orange
        { 230, 200, 60, 0 },      // dark blue
        { 0, 0, 0, 128 },         // mid gray from black ink alone
        { 40, 220, 0, 100 },      // dark magenta
    };

    // What full ink coverage leaves of white paper: the naive conversion a CMYK file without an
    // ICC profile gets, and the colour a person expects to see.
    static SKColor Printed(byte c, byte m, byte y, byte k) => new(
        (byte)Math.Round((255 - c) * (255 - k) / 255.0),
        (byte)Math.Round((255 - m) * (255 - k) / 255.0),
        (byte)Math.Round((255 - y) * (255 - k) / 255.0));

    [Theory]
    [MemberData(nameof(Inks))]
    public void ConvertsAdobeCmykJpegWithoutInvertingIt(byte c, byte m, byte y, byte k)
    {
        // Adobe stores CMYK inverted (255 = no ink); the white block beside it must stay white.
        byte[] stored = [(byte)(255 - c), (byte)(255 - m), (byte)(255 - y), (byte)(255 - k)];
        var jpeg = TestImages.FlatBlocksJpeg(0, stored, [255, 255, 255, 255]);

        var image = ImageDecoder.Decode(jpeg, "cmyk.jpg", Stretch16);

        AssertClose(Printed(c, m, y, k), TestImages.Pixel(image, 3, 8), 3, "inked block");
        AssertClose(SKColors.White, TestImages.Pixel(image, 12, 8), 3, "blank block");
    }

    [Theory]
    [MemberData(nameof(Inks))]
    public void ConvertsYcckJpegLikeTheCmykItEncodes(byte c, byte m, byte y, byte k)
    {
        // YCCK carries the C, M, Y inks as if they were R, G, B in YCbCr, and K inverted as in Adobe CMYK.
        var jpeg = TestImages.FlatBlocksJpeg(2, Ycck(c, m, y, k), Ycck(0, 0, 0, 0));

        var image = ImageDecoder.Decode(jpeg, "ycck.jpg", Stretch16);

        AssertClose(Printed(c, m, y, k), TestImages.Pixel(image, 3, 8), 4, "inked block");
        AssertClose(SKColors.White, TestImages.Pixel(image, 12, 8), 4, "blank block");
    }

    static byte[] Ycck(byte c, byte m, byte y, byte k)
    {
        static byte Clamp(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
        return
        [
            Clamp(0.299 * c + 0.587 * m + 0.114 * y),
            Clamp(128 - 0.168736 * c - 0.331264 * m + 0.5 * y),
            Clamp(128 + 0.5 * c - 0.418688 * m - 0.081312 * y),
            (byte)(255 - k),
        ];
    }

    [Fact]
    public void ScalesSixteenBitSamplesInsteadOfClipping()
    {
        // A horizontal 16-bit gradient from 30000 to 50000: clipping would flatten it at 255.
        const int width = 64;
        var samples = Enumerable.Range(0, width).Select(x => 30000 + x * 20000 / (width - 1)).ToArray();
        var row = samples.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();
        var png = TestImages.Png(width, 8, 16, 0, Enumerable.Repeat(row, 8).ToArray());

        var image = ImageDecoder.Decode(png, "gradient16.png", new ResizeSpec("stretch", width, width));

        var decoded = Enumerable.Range(0, width).Select(x => TestImages.Pixel(image, x, width / 2)).ToArray();
        Assert.All(decoded, p => Assert.True(p.Red == p.Green && p.Green == p.Blue, $"{p} is not gray"));
        for (var x = 0; x < width; x++)
            Assert.InRange(decoded[x].Red, samples[x] / 257.0 - 1.5, samples[x] / 257.0 + 1.5);
        for (var x = 1; x < width; x++)
            Assert.True(decoded[x].Red >= decoded[x - 1].Red, $"falls at x={x}");
        Assert.InRange(decoded[0].Red, 115, 119);
        Assert.InRange(decoded[^1].Red, 193, 197);
    }

    static byte Over(byte colour, byte alpha, byte background) =>
        (byte)Math.Round((colour * alpha + background * (255 - alpha)) / 255.0);

    [Fact]
    public void CompositesPaletteTransparencyOntoTheBackground()
    {
        // Palette: opaque red, invisible green, half-transparent blue; one pixel of each.
        var png = TestImages.Png(3, 1, 8, 3, [[0, 1, 2]],
            ("PLTE", [255, 0, 0, 0, 255, 0, 0, 0, 255]), ("tRNS", [255, 0, 128]));

        var image = ImageDecoder.Decode(png, "palette.png", new ResizeSpec("stretch", 3, 3));

        var bg = ImageDecoder.Background;
        AssertClose(SKColors.Red, TestImages.Pixel(image, 0, 1), 0, "opaque entry");
        AssertClose(bg, TestImages.Pixel(image, 1, 1), 0, "transparent entry");
        AssertClose(new SKColor(Over(0, 128, bg.Red), Over(0, 128, bg.Green), Over(255, 128, bg.Blue)),
            TestImages.Pixel(image, 2, 1), 1, "half-transparent entry");
    }

    [Fact]
    public void CompositesRgbaOntoTheBackgroundTheSameEveryTime()
    {
        byte[] row = [10, 20, 30, 255, 200, 100, 50, 0, 0, 160, 80, 64];
        var png = TestImages.Png(3, 1, 8, 6, [row]);
        using var folder = new TempFolder();
        var path = folder.File("rgba.png");
        File.WriteAllBytes(path, png);
        var resize = new ResizeSpec("stretch", 3, 3);

        var fromFile = ImageDecoder.Decode(path, resize);
        var fromBytes = ImageDecoder.Decode(png, "rgba.png", resize);

        Assert.Equal(fromFile.Rgb, fromBytes.Rgb);
        var bg = ImageDecoder.Background;
        for (var x = 0; x < 3; x++)
        {
            var a = row[4 * x + 3];
            var expected = new SKColor(Over(row[4 * x], a, bg.Red), Over(row[4 * x + 1], a, bg.Green),
                Over(row[4 * x + 2], a, bg.Blue));
            AssertClose(expected, TestImages.Pixel(fromFile, x, 1), 1, $"pixel {x} (alpha {a})");
        }
    }

    [Fact]
    public void DecodesTheFirstFrameOfAnAnimatedGif()
    {
        var gif = TestImages.AnimatedGif(20, 12, SKColors.Red, SKColors.Blue, SKColors.Lime);
        using (var codec = SKCodec.Create(new SKMemoryStream(gif)))
            Assert.Equal(3, codec.FrameCount);

        var image = ImageDecoder.Decode(gif, "animated.gif", Stretch16);

        var (r, g, b) = TestImages.Mean(image);
        Assert.True(r > 250 && g < 5 && b < 5, $"mean colour {r:F0},{g:F0},{b:F0}");
    }
}
