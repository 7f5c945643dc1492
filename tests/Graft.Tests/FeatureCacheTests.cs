using Graft.Backbones;
using Graft.Data;
using Graft.Features;

namespace Graft.Tests;

public class FeatureCacheTests
{
    [Fact]
    public void ReusesCachedFeaturesAndRecomputesAChangedFile()
    {
        using var folder = new TempFolder();
        ShapeImages.Write(Path.Combine(folder.Path, "data"), trainPerClass: 3, valPerClass: 0, size: 64);
        var images = ClassFolders.Files(Path.Combine(folder.Path, "data", "train"))
            .Select(f => new LabeledImage(f, 0)).ToList();
        var cache = new FeatureCache(Path.Combine(folder.Path, "cache"));
        using var extractor = EmbeddedResNet18.Open();
        var pipeline = new FeaturePipeline(extractor, cache);

        var first = pipeline.Extract(images);
        Assert.Equal((0, images.Count), (first.FromCache, first.Computed));

        var second = pipeline.Extract(images);
        Assert.Equal((images.Count, 0), (second.FromCache, second.Computed));
        for (var i = 0; i < images.Count; i++)
            Assert.Equal(first.Features[i], second.Features[i]);

        // Overwrite one file with a new drawing: its content hash changes, so it alone is recomputed.
        ShapeImages.Write(Path.Combine(folder.Path, "other"), trainPerClass: 1, valPerClass: 0, size: 64, seed: 99);
        var replacement = ClassFolders.Files(Path.Combine(folder.Path, "other")).First(f => f.EndsWith(".png"));
        File.Copy(replacement, images[0].Path, overwrite: true);
        var third = pipeline.Extract(images);
        Assert.Equal((images.Count - 1, 1), (third.FromCache, third.Computed));
        Assert.NotEqual(first.Features[0], third.Features[0]);

        // The same bytes under another name are a cache hit: the key is the content, not the path.
        File.Copy(images[2].Path, images[3].Path, overwrite: true);
        var fourth = pipeline.Extract(images);
        Assert.Equal((images.Count, 0), (fourth.FromCache, fourth.Computed));
    }

    [Fact]
    public void DifferentPreprocessingHasItsOwnEntries()
    {
        var backbone = EmbeddedResNet18.Info;
        var other = backbone with
        {
            Preprocessing = backbone.Preprocessing with { Resize = new ResizeSpec("crop", 224, 224) },
        };
        Assert.NotEqual(backbone.CacheKey(), other.CacheKey());
        Assert.NotEqual(backbone.CacheKey(), (backbone with { Layer = "layer3" }).CacheKey());
        Assert.Equal(backbone.CacheKey(), EmbeddedResNet18.Info.CacheKey());
    }

    [Fact]
    public void DamagedEntryIsIgnoredNotTrusted()
    {
        using var folder = new TempFolder();
        var cache = new FeatureCache(folder.Path);
        cache.Put("k", "abcdef", [1f, 2f, 3f]);
        Assert.Equal([1f, 2f, 3f], cache.TryGet("k", "abcdef", 3)!.Features);
        Assert.Null(cache.TryGet("k", "abcdef", 3)!.Warning);
        Assert.Null(cache.TryGet("k", "abcdef", 4));

        var file = Directory.GetFiles(folder.Path, "*.f32", SearchOption.AllDirectories).Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..10]);
        Assert.Null(cache.TryGet("k", "abcdef", 3));
    }
}
