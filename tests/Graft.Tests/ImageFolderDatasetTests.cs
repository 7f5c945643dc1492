using Graft.Data;

namespace Graft.Tests;

public class ImageFolderDatasetTests
{
    static void Touch(TempFolder folder, params string[] files)
    {
        foreach (var file in files)
            File.WriteAllBytes(folder.File(file), [1, 2, 3]);
    }

    [Fact]
    public void MapsValClassesByNameNotByPosition()
    {
        using var folder = new TempFolder();
        Touch(folder, "train/ants/a.jpg", "train/bees/b.jpg", "train/cicadas/c.jpg", "val/cicadas/c2.jpg", "val/ants/a2.jpg");
        var data = ImageFolderDataset.Load(folder.Path);

        Assert.Equal(["ants", "bees", "cicadas"], data.ClassNames);
        var labels = data.Val.ToDictionary(i => Path.GetFileName(i.Path), i => data.ClassNames[i.Label]);
        Assert.Equal("cicadas", labels["c2.jpg"]);
        Assert.Equal("ants", labels["a2.jpg"]);
        Assert.Contains(data.Warnings, w => w.Contains("'bees'"));
    }

    [Fact]
    public void SplitFoldersAreFoundInAnyCase()
    {
        using var folder = new TempFolder();
        Touch(folder, "Train/ants/a.jpg", "Train/bees/b.jpg", "VAL/ants/a2.jpg", "VAL/bees/b2.jpg", "Test/ants/a3.jpg");
        var data = ImageFolderDataset.Load(folder.Path);
        Assert.Equal(["ants", "bees"], data.ClassNames);
        Assert.False(data.ValIsSplit);
        Assert.Equal(["a2.jpg", "b2.jpg"], data.Val.Select(i => Path.GetFileName(i.Path)).Order());
        Assert.Equal("a3.jpg", Path.GetFileName(Assert.Single(data.Test!).Path));
    }

    [Fact]
    public void AClassWithFewTrainingImagesIsSaidToBeOne()
    {
        using var folder = new TempFolder();
        Touch(folder, "train/ants/a.jpg", "train/bees/b1.jpg", "train/bees/b2.jpg", "val/ants/a2.jpg", "val/bees/b3.jpg");
        var data = ImageFolderDataset.Load(folder.Path);
        Assert.Contains(data.Warnings, w => w.StartsWith("class 'ants' has only 1 training image:"));
    }

    [Fact]
    public void FoldersBesideTrainThatAreNotReadAreNamed()
    {
        using var folder = new TempFolder();
        Touch(folder, "train/ants/a.jpg", "train/bees/b.jpg", "val/ants/a2.jpg", "Val/bees/b2.jpg",
            "wasps/w.jpg", ".cache/x.f32");
        var data = ImageFolderDataset.Load(folder.Path);
        Assert.Equal(["ants", "bees"], data.ClassNames);
        Assert.Contains(data.Warnings, w => w.Contains("Val: not read") && w.Contains("merge the two"));
        Assert.Contains(data.Warnings, w => w.Contains("wasps: beside train/, so not read"));
        Assert.DoesNotContain(data.Warnings, w => w.Contains(".cache"));
    }

    [Fact]
    public void ValClassMissingFromTrainIsAnErrorNamingIt()
    {
        using var folder = new TempFolder();
        Touch(folder, "train/ants/a.jpg", "train/bees/b.jpg", "val/zebra/z.jpg", "val/ants/a2.jpg");
        var error = Assert.Throws<GraftException>(() => ImageFolderDataset.Load(folder.Path));
        Assert.Contains("zebra", error.Message);
        Assert.Contains("train has: ants, bees", error.Message);
    }

    [Fact]
    public void OneClassFailsBeforeAnyWork()
    {
        using var folder = new TempFolder();
        Touch(folder, "only/a.jpg", "only/b.jpg");
        var error = Assert.Throws<GraftException>(() => ImageFolderDataset.Load(folder.Path));
        Assert.Contains("at least two", error.Message);
    }

    [Fact]
    public void MissingOrEmptyFolderIsAClearError()
    {
        using var folder = new TempFolder();
        Assert.Contains("not found", Assert.Throws<GraftException>(
            () => ImageFolderDataset.Load(Path.Combine(folder.Path, "nope"))).Message);
        Assert.Contains("no class folders", Assert.Throws<GraftException>(
            () => ImageFolderDataset.Load(folder.Path)).Message);
    }

    [Fact]
    public void EmptyClassFolderIsLeftOutWithAWarning()
    {
        using var folder = new TempFolder();
        Touch(folder, "train/ants/a.jpg", "train/bees/b.jpg", "val/ants/a2.jpg");
        Directory.CreateDirectory(Path.Combine(folder.Path, "train", "wasps"));
        var data = ImageFolderDataset.Load(folder.Path);
        Assert.Equal(["ants", "bees"], data.ClassNames);
        Assert.Contains(data.Warnings, w => w.Contains("wasps"));
    }

    [Fact]
    public void IgnoresHiddenAndSystemEntries()
    {
        using var folder = new TempFolder();
        Touch(folder, "ants/a.jpg", "ants/.DS_Store", "ants/Thumbs.db", "ants/.ipynb_checkpoints/a-checkpoint.jpg",
            "bees/b.jpg", "bees/._b.jpg", ".ipynb_checkpoints/x.jpg", "ants/b.jpg", "bees/c.jpg", "@eaDir/x.jpg",
            "bees/@eaDir/c.jpg@SynoEAStream");
        var data = ImageFolderDataset.Load(folder.Path, valFraction: 0.5);
        var all = data.Train.Concat(data.Val).Select(i => Path.GetFileName(i.Path)).Order().ToList();
        Assert.Equal(["a.jpg", "b.jpg", "b.jpg", "c.jpg"], all);
        Assert.Equal(["ants", "bees"], data.ClassNames);
        Assert.Contains(data.Ignored, e => e.EndsWith("Thumbs.db"));
    }

    [Fact]
    public void DigitClassNamesKeepOrdinalOrder()
    {
        using var folder = new TempFolder();
        var names = Enumerable.Range(0, 12).Select(i => i.ToString()).ToArray();
        foreach (var name in names)
            Touch(folder, $"train/{name}/x.jpg", $"val/{name}/y.jpg");
        var data = ImageFolderDataset.Load(folder.Path);
        Assert.Equal(names.Order(StringComparer.Ordinal), data.ClassNames);
        Assert.Equal("10", data.ClassNames[2]);
        Assert.All(data.Val, i => Assert.Equal(Path.GetFileName(Path.GetDirectoryName(i.Path)), data.ClassNames[i.Label]));
    }

    [Fact]
    public void ClassNamesWithSpacesAndNonAsciiLetters()
    {
        using var folder = new TempFolder();
        Touch(folder, "golden retriever/a.JPG", "golden retriever/b.Jpeg", "chat noir é/c.jpg", "chat noir é/d.jpg");
        var data = ImageFolderDataset.Load(folder.Path, valFraction: 0.5);
        Assert.Equal(["chat noir é", "golden retriever"], data.ClassNames);
        Assert.Equal(2, data.Train.Count);
        Assert.Equal(2, data.Val.Count);
    }

    [Fact]
    public void SplitIsStratifiedAndRepeatable()
    {
        using var folder = new TempFolder();
        for (var i = 0; i < 30; i++)
            Touch(folder, $"cats/{i:D2}.jpg");
        for (var i = 0; i < 10; i++)
            Touch(folder, $"dogs/{i:D2}.jpg");
        var first = ImageFolderDataset.Load(folder.Path, valFraction: 0.2, seed: 7);
        var again = ImageFolderDataset.Load(folder.Path, valFraction: 0.2, seed: 7);
        var other = ImageFolderDataset.Load(folder.Path, valFraction: 0.2, seed: 8);

        Assert.True(first.ValIsSplit);
        Assert.Equal(6, first.Val.Count(i => i.Label == 0));
        Assert.Equal(2, first.Val.Count(i => i.Label == 1));
        Assert.Equal(first.Val, again.Val);
        Assert.NotEqual(first.Val.Select(i => i.Path), other.Val.Select(i => i.Path));
        Assert.Empty(first.Train.Select(i => i.Path).Intersect(first.Val.Select(i => i.Path)));
    }
}
