using Graft.Backbones;
using Graft.Data;
using Graft.Features;
using SkiaSharp;

namespace Graft.Tests;

/// <summary>The real files in ../shared/data/awkward, each of which breaks some naive loader.</summary>
public class AwkwardImageFileTests
{
    // What DATA.md asks of a loader for each file: decode it, decode it and warn, or refuse it
    // with the given kind. A file added to the folder fails the test until it is listed here.
    static readonly Dictionary<string, string> Expected = new()
    {
        ["hopper.jpg"] = "decodes",
        ["hopper_gray.jpg"] = "decodes",
        ["pil_sample_cmyk.jpg"] = "decodes",
        ["hopper_orientation_6.jpg"] = "decodes",
        ["truncated_jpeg.jpg"] = "warns",
        ["broken.png"] = "not an image",
        ["transparent.png"] = "decodes",
        ["i_trns.png"] = "decodes",
        ["decompression_bomb.gif"] = "too large",
        ["hopper.webp"] = "decodes",
        ["hopper.bmp"] = "decodes",
        ["iss634.gif"] = "decodes",
        ["png_content_with_jpg_ext__No15.jpg"] = "decodes",
        ["tiny.png"] = "decodes",
        ["LICENSE.Pillow.txt"] = "not an image",
    };

    static string Awkward(string name) => SharedData.Data(Path.Combine("awkward", name));

    [SharedDataFact]
    public void DecodesEveryAwkwardFileToATensorOrNamesWhyNot()
    {
        var preprocessing = Preprocessing.TorchVision();
        var files = Directory.GetFiles(SharedData.Data("awkward")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), files.Select(f => Path.GetFileName(f)));

        // The tensor of an 8-bit image lies between what black and white normalise to.
        var low = Enumerable.Range(0, 3).Select(c => -preprocessing.Mean[c] / preprocessing.Std[c]).Min();
        var high = Enumerable.Range(0, 3).Select(c => (1 - preprocessing.Mean[c]) / preprocessing.Std[c]).Max();

        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            var expected = Expected[name];
            if (expected is "decodes" or "warns")
            {
                var image = ImageDecoder.Decode(file, preprocessing.Resize);
                Assert.True(image.Width == 224 && image.Height == 224, $"{name}: {image.Width}x{image.Height}");
                Assert.Equal(3 * 224 * 224, image.Rgb.Length);
                Assert.True((image.Warning is not null) == (expected == "warns"),
                    $"{name}: warning '{image.Warning}'");

                var tensor = new float[preprocessing.InputLength];
                Assert.Equal(3 * 224 * 224, tensor.Length);
                preprocessing.ToTensor(image, tensor);
                Assert.True(tensor.All(v => v >= low - 1e-4 && v <= high + 1e-4), $"{name}: tensor out of range");
            }
            else
            {
                var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(file, preprocessing.Resize));
                Assert.Equal(file, e.Path);
                Assert.Contains(name, e.Message);
                Assert.True(expected == e.Kind, $"{name}: kind '{e.Kind}' ({e.Reason})");
            }
        }
    }

    [SharedDataFact]
    public void SkipsUndecodableFilesAndNamesThem()
    {
        using var extractor = new ChannelMeanExtractor();
        var images = Expected.Keys.Select((name, i) => new LabeledImage(Awkward(name), i % 2)).ToList();

        var set = new FeaturePipeline(extractor, cache: null).Extract(images);

        var refused = Expected.Where(pair => pair.Value is not ("decodes" or "warns")).Select(pair => pair.Key);
        Assert.Equal(refused.Order(), set.Skipped.Select(s => Path.GetFileName(s.Path)).Order());
        Assert.All(set.Skipped, s => Assert.Equal(Expected[Path.GetFileName(s.Path)], s.Kind));
        Assert.Equal(["truncated_jpeg.jpg"], set.Warnings.Select(w => Path.GetFileName(w.Path)));
        Assert.Equal(images.Count - set.Skipped.Count, set.Features.Length);
    }

    [SharedDataFact]
    public void ATruncatedFilesWarningComesBackFromTheCache()
    {
        using var folder = new TempFolder();
        var cache = new FeatureCache(folder.Path);
        var images = new[] { "truncated_jpeg.jpg", "hopper.jpg" }.Select((name, i) => new LabeledImage(Awkward(name), i))
            .ToList();
        static string[] Warned(FeatureSet set) => set.Warnings.Select(w => Path.GetFileName(w.Path)).ToArray();

        using var extractor = new ChannelMeanExtractor();
        var pipeline = new FeaturePipeline(extractor, cache);
        var first = pipeline.Extract(images);
        var again = pipeline.Extract(images);
        Assert.Equal(2, again.FromCache);
        Assert.Equal(["truncated_jpeg.jpg"], Warned(first));
        Assert.Equal(first.Warnings, again.Warnings);

        using var torch = TorchFeatureExtractor.OpenEmbeddedResNet18();
        var stages = new StageFeaturePipeline(torch, cache);
        var computed = stages.Extract(images, ["layer4"])["layer4"];
        var cached = stages.Extract(images, ["layer2", "layer4"]);
        Assert.Equal(2, cached["layer2"].FromCache);
        Assert.Equal(["truncated_jpeg.jpg"], Warned(computed));
        Assert.All(cached.Values, set => Assert.Equal(computed.Warnings, set.Warnings));
    }

    [SharedDataFact]
    public void RotatesTheRealOrientationSixFileUpright()
    {
        var resize = new ResizeSpec("stretch", 128, 128);
        var upright = ImageDecoder.Decode(Awkward("hopper.jpg"), resize);
        var rotated = ImageDecoder.Decode(Awkward("hopper_orientation_6.jpg"), resize);

        // The file holds hopper turned on its side; once its EXIF orientation is applied it
        // should match the upright original far better than any other quarter turn would.
        var applied = MeanDifference(upright, rotated, (x, y) => (x, y));
        var turnedBack = MeanDifference(upright, rotated, (x, y) => (y, 127 - x));
        var halfTurn = MeanDifference(upright, rotated, (x, y) => (127 - x, 127 - y));
        Assert.True(applied < 10, $"differs from upright hopper by {applied:F1} a channel");
        Assert.True(applied * 3 < Math.Min(turnedBack, halfTurn), $"{applied:F1} vs {turnedBack:F1}, {halfTurn:F1}");
    }

    [SharedDataFact]
    public void GivesTheRealCmykSampleItsRedNotCyan()
    {
        // Pillow's CMYK sample: red lettering and a red patch in the top-left corner on black.
        var image = ImageDecoder.Decode(Awkward("pil_sample_cmyk.jpg"), new ResizeSpec("stretch", 100, 100));

        var corner = TestImages.Pixel(image, 0, 0);
        Assert.True(corner.Red > 200 && corner.Green < 60 && corner.Blue < 60, $"top-left is {corner}");
        var opposite = TestImages.Pixel(image, 99, 99);
        Assert.True(opposite.Red < 40 && opposite.Green < 40 && opposite.Blue < 40, $"bottom-right is {opposite}");
        var (r, g, b) = TestImages.Mean(image);
        Assert.True(r > 2 * g && r > 2 * b && r < 128, $"mean colour {r:F0},{g:F0},{b:F0}");
    }

    [SharedDataFact]
    public void ScalesTheRealSixteenBitPngAndCompositesItsTransparentGray()
    {
        // i_trns.png stores samples 0-255 of 65535, with 255 marked transparent by tRNS:
        // scaled properly they are all but black, and the transparent ones show the background.
        var image = ImageDecoder.Decode(Awkward("i_trns.png"), new ResizeSpec("stretch", 64, 64));

        var pixels = Enumerable.Range(0, 64 * 64).Select(p => TestImages.Pixel(image, p % 64, p / 64)).ToList();
        var background = pixels.Count(c => c == ImageDecoder.Background.WithAlpha(255));
        var dark = pixels.Count(c => c.Red <= 1 && c.Green <= 1 && c.Blue <= 1);
        Assert.Equal(pixels.Count, background + dark);
        Assert.InRange(background, 1, pixels.Count - 1);
    }

    static double MeanDifference(DecodedImage a, DecodedImage b, Func<int, int, (int X, int Y)> map)
    {
        double total = 0;
        for (var y = 0; y < a.Height; y++)
        {
            for (var x = 0; x < a.Width; x++)
            {
                var (bx, by) = map(x, y);
                for (var c = 0; c < 3; c++)
                    total += Math.Abs(a.Rgb[3 * (y * a.Width + x) + c] - b.Rgb[3 * (by * b.Width + bx) + c]);
            }
        }
        return total / a.Rgb.Length;
    }

    /// <summary>A stand-in backbone whose features are the mean of each input channel.</summary>
    sealed class ChannelMeanExtractor : IFeatureExtractor
    {
        public BackboneInfo Backbone { get; } = new("channel-mean", "none", 3, Preprocessing.TorchVision(), "none");

        public float[] Extract(float[] input)
        {
            var plane = input.Length / 3;
            return [.. Enumerable.Range(0, 3).Select(c => input.AsSpan(c * plane, plane).ToArray().Average())];
        }

        public void Dispose()
        {
        }
    }
}
