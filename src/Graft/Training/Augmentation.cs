using Graft.Data;

namespace Graft.Training;

/// <summary>
/// Training-time augmentation of a decoded image that was resized to a square a little larger than
/// the network's input (256 for a 224 crop): a centre or random resized crop, and a random
/// horizontal flip. Validation and prediction never go through it.
/// </summary>
public static class Augmentation
{
    /// <summary>Smallest share of the square's area a random crop keeps.</summary>
    /// <remarks>
    /// torchvision's default is 0.08; on a few hundred images and a pretrained network that mostly
    /// shows the network fragments of the object, so a milder floor is used.
    /// </remarks>
    public const double MinArea = 0.25;

    /// <summary>Makes one square training view of <paramref name="image"/>.</summary>
    /// <param name="image">The square source, at least <paramref name="crop"/> pixels a side.</param>
    /// <param name="crop">Output side.</param>
    /// <param name="mode"><c>none</c>, <c>flip</c> or <c>crop+flip</c>.</param>
    /// <param name="random">Draws the crop and the flip.</param>
    public static DecodedImage Apply(DecodedImage image, int crop, string mode, Random random)
    {
        double width = crop, height = crop;
        double left = (image.Width - crop) / 2.0, top = (image.Height - crop) / 2.0;
        if (mode == "crop+flip")
            (left, top, width, height) = RandomWindow(image.Width, image.Height, random);
        var flip = mode != "none" && random.NextDouble() < 0.5;
        return Sample(image, left, top, width, height, crop, flip);
    }

    static (double Left, double Top, double Width, double Height) RandomWindow(int width, int height, Random random)
    {
        var area = (double)width * height;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var target = area * (MinArea + random.NextDouble() * (1 - MinArea));
            var ratio = Math.Exp(Math.Log(3.0 / 4) + random.NextDouble() * (Math.Log(4.0 / 3) - Math.Log(3.0 / 4)));
            var w = Math.Sqrt(target * ratio);
            var h = Math.Sqrt(target / ratio);
            if (w <= width && h <= height)
                return (random.NextDouble() * (width - w), random.NextDouble() * (height - h), w, h);
        }
        return (0, 0, width, height);
    }

    /// <summary>Bilinear resampling of a window of <paramref name="image"/> to a square.</summary>
    static DecodedImage Sample(DecodedImage image, double left, double top, double width, double height, int size,
        bool flip)
    {
        var output = new byte[size * size * 3];
        var scaleX = width / size;
        var scaleY = height / size;
        for (var y = 0; y < size; y++)
        {
            var sy = Math.Clamp(top + (y + 0.5) * scaleY - 0.5, 0, image.Height - 1);
            var y0 = (int)sy;
            var y1 = Math.Min(y0 + 1, image.Height - 1);
            var fy = sy - y0;
            for (var x = 0; x < size; x++)
            {
                var sx = Math.Clamp(left + (x + 0.5) * scaleX - 0.5, 0, image.Width - 1);
                var x0 = (int)sx;
                var x1 = Math.Min(x0 + 1, image.Width - 1);
                var fx = sx - x0;
                var target = 3 * (y * size + (flip ? size - 1 - x : x));
                for (var c = 0; c < 3; c++)
                {
                    var top0 = image.Rgb[3 * (y0 * image.Width + x0) + c] * (1 - fx)
                               + image.Rgb[3 * (y0 * image.Width + x1) + c] * fx;
                    var bottom = image.Rgb[3 * (y1 * image.Width + x0) + c] * (1 - fx)
                                 + image.Rgb[3 * (y1 * image.Width + x1) + c] * fx;
                    output[target + c] = (byte)Math.Clamp(Math.Round(top0 * (1 - fy) + bottom * fy), 0, 255);
                }
            }
        }
        return new DecodedImage(size, size, output);
    }
}
