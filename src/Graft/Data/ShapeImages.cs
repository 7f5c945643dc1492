using SkiaSharp;

namespace Graft.Data;

/// <summary>
/// Writes a small labelled image set of drawn shapes (circles, squares, triangles) on cluttered
/// backgrounds, for the demo and for tests that need a data folder without real photos.
/// </summary>
public static class ShapeImages
{
    /// <summary>The classes, in the order the generator knows them.</summary>
    public static readonly string[] AllClasses = ["circle", "square", "triangle"];

    /// <summary>
    /// Writes <c>root/train/&lt;class&gt;</c> and <c>root/val/&lt;class&gt;</c> PNG and JPEG files.
    /// </summary>
    public static void Write(string root, int classes = 2, int trainPerClass = 20, int valPerClass = 10, int size = 128,
        int seed = 1)
    {
        if (classes is < 2 or > 3)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "2 or 3 classes");
        var random = new Random(seed);
        foreach (var (split, count) in new[] { ("train", trainPerClass), ("val", valPerClass) })
        {
            for (var c = 0; c < classes; c++)
            {
                var folder = Path.Combine(root, split, AllClasses[c]);
                Directory.CreateDirectory(folder);
                for (var i = 0; i < count; i++)
                {
                    var format = i % 2 == 0 ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
                    var name = $"{AllClasses[c]}_{i:D3}.{(format == SKEncodedImageFormat.Png ? "png" : "jpg")}";
                    File.WriteAllBytes(Path.Combine(folder, name), Draw(AllClasses[c], size, random, format));
                }
            }
        }
    }

    static byte[] Draw(string shape, int size, Random random, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(size, size);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(RandomColour(random, 40, 220));
            using var clutter = new SKPaint { IsAntialias = true, StrokeWidth = 2, Style = SKPaintStyle.Stroke };
            for (var i = 0; i < 6; i++)
            {
                clutter.Color = RandomColour(random, 0, 255).WithAlpha(90);
                canvas.DrawLine(Next(random, size), Next(random, size), Next(random, size), Next(random, size), clutter);
            }

            using var paint = new SKPaint { IsAntialias = true, Color = RandomColour(random, 0, 255), Style = SKPaintStyle.Fill };
            var radius = size * (0.18f + 0.14f * (float)random.NextDouble());
            var cx = size / 2f + (float)(random.NextDouble() - 0.5) * size * 0.3f;
            var cy = size / 2f + (float)(random.NextDouble() - 0.5) * size * 0.3f;
            switch (shape)
            {
                case "circle":
                    canvas.DrawCircle(cx, cy, radius, paint);
                    break;
                case "square":
                    canvas.Save();
                    canvas.RotateDegrees((float)(random.NextDouble() * 30 - 15), cx, cy);
                    canvas.DrawRect(cx - radius, cy - radius, 2 * radius, 2 * radius, paint);
                    canvas.Restore();
                    break;
                default:
                    using (var path = new SKPath())
                    {
                        path.MoveTo(cx, cy - radius);
                        path.LineTo(cx + radius, cy + radius * 0.8f);
                        path.LineTo(cx - radius, cy + radius * 0.8f);
                        path.Close();
                        canvas.DrawPath(path, paint);
                    }
                    break;
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    static float Next(Random random, int size) => (float)random.NextDouble() * size;

    static SKColor RandomColour(Random random, int low, int high) =>
        new((byte)random.Next(low, high), (byte)random.Next(low, high), (byte)random.Next(low, high));
}
