using Graft.Data;
using SkiaSharp;

namespace Graft.Tests;

/// <summary>Orientation, scaled decoding and resizing of images of every shape.</summary>
public class ImageGeometryTests
{
    static bool IsRed(SKColor c) => c.Red > 180 && c.Green < 80 && c.Blue < 80;

    static bool IsBlue(SKColor c) => c.Blue > 180 && c.Red < 80 && c.Green < 80;

    // EXIF orientation, and where the stored top-left (red) and top-right (blue) corners must
    // appear once the image is upright, as (column, row) in a 2x2 grid of corners.
    [Theory]
    [InlineData(1, 0, 0, 1, 0)]
    [InlineData(3, 1, 1, 0, 1)]   // turned half round
    [InlineData(6, 1, 0, 1, 1)]   // stored a quarter turn anticlockwise: turn clockwise to view
    [InlineData(8, 0, 1, 0, 0)]   // stored a quarter turn clockwise: turn anticlockwise to view
    public void AppliesExifOrientationBeforeResizing(int orientation, int redColumn, int redRow,
        int blueColumn, int blueRow)
    {
        // 90x45, gray, with a red block in its top-left corner and a blue one in its top-right.
        using var stored = TestImages.Solid(90, 45, SKColors.Gray);
        using (var canvas = new SKCanvas(stored))
        {
            canvas.DrawRect(0, 0, 20, 15, new SKPaint { Color = SKColors.Red });
            canvas.DrawRect(70, 0, 20, 15, new SKPaint { Color = SKColors.Blue });
        }
        var jpeg = TestImages.WithExifOrientation(TestImages.Encode(stored, SKEncodedImageFormat.Jpeg), orientation);
        using (var codec = SKCodec.Create(new SKMemoryStream(jpeg)))
            Assert.Equal((SKEncodedOrigin)orientation, codec.EncodedOrigin);

        var image = ImageDecoder.Decode(jpeg, "oriented.jpg", new ResizeSpec("stretch", 60, 60));

        SKColor Corner(int column, int row) => TestImages.Pixel(image, column == 0 ? 3 : 56, row == 0 ? 3 : 56);
        Assert.True(IsRed(Corner(redColumn, redRow)), $"red corner is {Corner(redColumn, redRow)}");
        Assert.True(IsBlue(Corner(blueColumn, blueRow)), $"blue corner is {Corner(blueColumn, blueRow)}");
        var others = new[] { (0, 0), (1, 0), (0, 1), (1, 1) }
            .Where(c => c != (redColumn, redRow) && c != (blueColumn, blueRow));
        Assert.All(others, c => Assert.False(IsRed(Corner(c.Item1, c.Item2)) || IsBlue(Corner(c.Item1, c.Item2))));
    }

    [Fact]
    public void DecodesALargePhotoAtAReducedScale()
    {
        // 6000x4000 (96 MB as RGBA): a scaled JPEG decode only needs the shorter side to reach 256.
        byte[] jpeg;
        using (var photo = new SKBitmap(new SKImageInfo(6000, 4000, SKColorType.Rgba8888, SKAlphaType.Premul)))
        {
            using (var canvas = new SKCanvas(photo))
            using (var paint = new SKPaint())
            {
                paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(6000, 0),
                    [SKColors.Red, SKColors.Blue], SKShaderTileMode.Clamp);
                canvas.DrawRect(0, 0, 6000, 4000, paint);
            }
            jpeg = TestImages.Encode(photo, SKEncodedImageFormat.Jpeg, 85);
        }

        var image = ImageDecoder.Decode(jpeg, "large.jpg", new ResizeSpec("crop", 256, 224));

        Assert.Equal((224, 224), (image.Width, image.Height));
        var (w, h) = image.DecodedSize;
        Assert.True(Math.Min(w, h) >= 256, $"decoded at {w}x{h}, too small for the resize");
        Assert.True((long)w * h <= 6000L * 4000 / 16, $"decoded at {w}x{h}: not reduced by at least 4 a side");
        Assert.True(TestImages.Pixel(image, 10, 112).Red > TestImages.Pixel(image, 213, 112).Red);
    }

    [Theory]
    [InlineData(1, 1, "crop")]
    [InlineData(4, 4, "crop")]
    [InlineData(5, 3000, "crop")]
    [InlineData(3000, 5, "crop")]
    [InlineData(1, 1, "stretch")]
    [InlineData(5, 3000, "stretch")]
    public void ResizesTinyAndThinImagesToTheExactSize(int width, int height, string mode)
    {
        var colour = new SKColor(30, 140, 220);
        using var bitmap = TestImages.Solid(width, height, colour);
        var png = TestImages.Encode(bitmap, SKEncodedImageFormat.Png);

        var image = ImageDecoder.Decode(png, $"{width}x{height}.png", new ResizeSpec(mode, 256, 224));

        Assert.Equal((224, 224), (image.Width, image.Height));
        Assert.Equal(3 * 224 * 224, image.Rgb.Length);
        Assert.All(new[] { (0, 0), (223, 0), (112, 112), (0, 223), (223, 223) },
            p => Assert.Equal(colour, TestImages.Pixel(image, p.Item1, p.Item2)));
    }
}
