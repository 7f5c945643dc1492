using Graft.Data;
using Graft.Running;

namespace Graft.Tests;

public class AwkwardDataSetTests(SharedCacheFixture shared) : IClassFixture<SharedCacheFixture>
{
    /// <summary>
    /// hymenoptera_data with every file of awkward/ added to train/ants (as links, nothing copied):
    /// training runs to the end, and exactly the files that cannot be decoded are skipped, each named.
    /// </summary>
    [SharedDataFact]
    public void TrainsToTheEndAndSkipsExactlyTheUndecodableFiles()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "data");
        var source = SharedData.Data("hymenoptera_data");
        foreach (var split in new[] { "train", "val" })
            foreach (var label in new[] { "ants", "bees" })
            {
                var target = Path.Combine(data, split, label);
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(Path.Combine(source, split, label)))
                    File.CreateSymbolicLink(Path.Combine(target, Path.GetFileName(file)), file);
            }
        var awkward = Directory.GetFiles(SharedData.Data("awkward"));
        foreach (var file in awkward)
            File.CreateSymbolicLink(Path.Combine(data, "train", "ants", "awkward_" + Path.GetFileName(file)), file);

        var undecodable = awkward.Where(file =>
        {
            try
            {
                ImageDecoder.Decode(file, new ResizeSpec("crop", 256, 224));
                return false;
            }
            catch (ImageDecodeException)
            {
                return true;
            }
        }).Select(f => "awkward_" + Path.GetFileName(f)).Order().ToList();
        Assert.NotEmpty(undecodable);

        var result = new TrainingRun().Run(new TrainRequest
        {
            DataDir = data, OutDir = Path.Combine(folder.Path, "m"), CacheDir = shared.Cache,
        });

        Assert.Equal(undecodable, result.Summary.Skipped.Select(s => Path.GetFileName(s.Path)).Order());
        Assert.Equal(undecodable.Count, result.Metrics.Images.Skipped);
        Assert.Equal(398 + awkward.Length - undecodable.Count, result.Metrics.Images.Used);
        Assert.Equal(result.Metrics.Images.Skipped, result.Metrics.Images.SkippedByReason.Values.Sum());
        Assert.True(result.Metrics.Val.Accuracy >= 0.9, $"val accuracy {result.Metrics.Val.Accuracy}");
        Assert.True(File.Exists(result.ModelPath));
    }
}
