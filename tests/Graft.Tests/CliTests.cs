using Graft.Data;

namespace Graft.Tests;

/// <summary>Runs the real command-line tool as a separate process, as a user would.</summary>
public class CliTests
{
    static GraftProcess.Outcome Graft(params string[] args) => GraftProcess.Run(TimeSpan.FromMinutes(3), args);

    static void AssertUserError(GraftProcess.Outcome outcome, string expected)
    {
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains(expected, outcome.Stderr);
        Assert.DoesNotContain("   at ", outcome.Stderr); // no stack trace without --verbose
    }

    [Fact]
    public void HelpListsTheCommands()
    {
        var outcome = Graft("--help");
        Assert.Equal(0, outcome.ExitCode);
        foreach (var command in new[] { "train", "evaluate", "predict", "demo" })
            Assert.Contains(command, outcome.Stdout);
    }

    [Fact]
    public void AMalformedCommandLineSaysWhatIsWrongInPlainWordsWithoutTheWholeHelp()
    {
        using var folder = new TempFolder();
        var outcome = Graft("train", folder.Path, "--out", folder.File("m"), "--epochs", "1.5", "--lr", "fast",
            "--colour");

        AssertUserError(outcome, "'1.5' for option '--epochs' as a whole number");
        Assert.Contains("'fast' for option '--lr' as a number", outcome.Stderr);
        Assert.Contains("'--colour'", outcome.Stderr);
        Assert.Contains("graft train --help", outcome.Stderr);
        Assert.DoesNotContain("System.", outcome.Stderr);
        Assert.DoesNotContain("Options:", outcome.Stdout + outcome.Stderr);
    }

    [Fact]
    public void MissingDataFolderIsAUserError()
    {
        using var folder = new TempFolder();
        AssertUserError(Graft("train", Path.Combine(folder.Path, "nope"), "--out", folder.File("m")), "folder not found");
    }

    [Fact]
    public void EmptyValuesAreUserErrorsNotInternalOnes()
    {
        using var folder = new TempFolder();
        AssertUserError(Graft("train", "", "--out", folder.File("m")), "DATA is empty");
        AssertUserError(Graft("train", folder.Path, "--out", ""), "--out is empty");
        AssertUserError(Graft("train", folder.Path, "--out", folder.File("m"), "--cache", ""), "--cache is empty");
        AssertUserError(Graft("predict", folder.File("m"), folder.Path, "--out", " "), "--out is empty");
        AssertUserError(Graft("probe", folder.Path, "--layers", "layer2,,layer4"), "an empty name");
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "m")));
    }

    [Fact]
    public void DemoLeavesASampleFolderItDidNotDrawAlone()
    {
        using var folder = new TempFolder();
        var mine = folder.File("shapes/train/circle/mine.jpg");
        File.WriteAllText(mine, "keep me");
        AssertUserError(Graft("demo", "--out", folder.Path), "did not draw");
        Assert.True(File.Exists(mine));
    }

    [Fact]
    public void OneClassIsAUserErrorBeforeAnyWork()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("data/only/a.jpg"), [1]);
        AssertUserError(Graft("train", Path.Combine(folder.Path, "data"), "--out", folder.File("m")), "at least two");
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "m")));
        AssertUserError(Graft("train", Path.Combine(folder.Path, "data"), "--out", Path.Combine(folder.Path, "new", "a", "b")),
            "at least two");
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "new")));
    }

    [Fact]
    public void UnknownHeadAndBadNumbersAreUserErrors()
    {
        using var folder = new TempFolder();
        ShapeImages.Write(Path.Combine(folder.Path, "data"), trainPerClass: 2, valPerClass: 1, size: 32);
        var data = Path.Combine(folder.Path, "data");
        AssertUserError(Graft("train", data, "--out", folder.File("m"), "--head", "forest"), "--head 'forest'");
        AssertUserError(Graft("train", data, "--out", folder.File("m"), "--epochs", "0"), "--epochs");
        AssertUserError(Graft("train", data, "--out", folder.File("m"), "--lr", "-1"), "--lr");
        AssertUserError(Graft("train", data, "--out", folder.File("m"), "--hidden", "64"), "--hidden applies to --head mlp");
        AssertUserError(Graft("train", data, "--out", folder.File("m"), "-q", "-v"), "exclude each other");
        AssertUserError(Graft("train", data, "--out", folder.File("m"), "--head", "mlp", "--hidden", "100000,100000"),
            "million weights");
        Assert.Equal(1, Graft("train", data).ExitCode); // --out is required
    }

    [Fact]
    public void NonModelFileIsAUserError()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("m/model"), "hello");
        AssertUserError(Graft("evaluate", Path.Combine(folder.Path, "m"), folder.Path), "not a Graft model");
        AssertUserError(Graft("predict", Path.Combine(folder.Path, "nothing-here"), folder.Path), "model file not found");
    }

    [Fact]
    public void TrainEvaluatePredictOnADrawnSample()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "data");
        ShapeImages.Write(data, trainPerClass: 8, valPerClass: 4, size: 64);
        File.WriteAllText(Path.Combine(data, "val", "circle", "notes.png"), "not an image at all");
        var model = Path.Combine(folder.Path, "m");
        var cache = Path.Combine(folder.Path, "cache");

        var train = Graft("train", data, "--out", model, "--cache", cache, "--epochs", "20");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("Summary: 24 images used, 1 skipped (1 not an image)", train.Stdout);
        Assert.Contains("notes.png", train.Stdout);
        foreach (var file in new[] { "model", "metrics.json", "history.csv" })
            Assert.True(File.Exists(Path.Combine(model, file)), file);
        using (var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "metrics.json"))))
        {
            var training = metrics.RootElement.GetProperty("training");
            Assert.Equal("head", training.GetProperty("best_phase").GetString());
            Assert.Equal(training.GetProperty("epochs_run").GetInt32(), training.GetProperty("head_epochs").GetInt32());
            Assert.Equal(training.GetProperty("best_epoch").GetInt32(),
                training.GetProperty("head_best_epoch").GetInt32());
            Assert.False(training.TryGetProperty("finetune_epochs", out _));
        }

        var evaluate = Graft("evaluate", model, Path.Combine(data, "val"), "--out", folder.File("e.json"), "--cache", cache);
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        var json = File.ReadAllText(Path.Combine(folder.Path, "e.json"));
        Assert.Contains("\"per_class\"", json);
        Assert.Contains("\"confusion\"", json);
        Assert.DoesNotContain("training images", evaluate.Stderr);

        // The training images themselves, even through a link: measured, and called what they are.
        var link = Path.Combine(folder.Path, "train-link");
        Directory.CreateSymbolicLink(link, Path.Combine(data, "train"));
        var onTrain = Graft("evaluate", model, link, "--cache", cache);
        Assert.True(onTrain.ExitCode == 0, onTrain.Stderr);
        Assert.Contains("holds this model's training images", onTrain.Stderr);

        var predict = Graft("predict", model, Path.Combine(data, "val"), "--out", folder.File("p.csv"), "--top-k", "2", "--cache", cache);
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        var rows = File.ReadAllLines(Path.Combine(folder.Path, "p.csv"));
        Assert.Equal("file,label,probability,top_k", rows[0]);
        Assert.Equal(8, rows.Length - 1);
        Assert.All(rows.Skip(1), row => Assert.Equal(2, row.Split(',')[3].Split(';').Length));

        // JSON by the file's extension, into a folder made for it; the same predictions.
        var jsonPath = Path.Combine(folder.Path, "new", "p.json");
        var asJson = Graft("predict", model, Path.Combine(data, "val"), "--out", jsonPath, "--top-k", "2", "--cache", cache);
        Assert.True(asJson.ExitCode == 0, asJson.Stderr);
        using (var predictions = System.Text.Json.JsonDocument.Parse(File.ReadAllText(jsonPath)))
        {
            var items = predictions.RootElement.EnumerateArray().ToList();
            Assert.Equal(8, items.Count);
            var first = rows[1].Split(',');
            Assert.Equal(first[0], items[0].GetProperty("file").GetString());
            Assert.Equal(first[1], items[0].GetProperty("label").GetString());
            Assert.Equal(double.Parse(first[2], System.Globalization.CultureInfo.InvariantCulture),
                items[0].GetProperty("probability").GetDouble(), 6);
            Assert.All(items, item => Assert.Equal(2, item.GetProperty("top_k").GetArrayLength()));
        }

        // The model file, an input image or a folder of them is no place for the output.
        AssertUserError(Graft("predict", model, Path.Combine(data, "val"), "--out", Path.Combine(model, "model")),
            "belongs to the model");
        var image = Directory.GetFiles(Path.Combine(data, "val", "circle"), "*.png").First();
        AssertUserError(Graft("predict", model, Path.Combine(data, "val"), "--out", image), "inside");
        AssertUserError(Graft("evaluate", model, Path.Combine(data, "val"), "--out", Path.Combine(data, "val", "e.json")),
            "inside");
        Assert.True(Graft("predict", model, Path.Combine(data, "val"), "--out", Path.Combine(model, "p.csv"),
            "--cache", cache).ExitCode == 0);

        // Nor a link to an image that a folder of inputs links to.
        var elsewhere = Path.Combine(folder.Path, "elsewhere.png");
        File.Copy(image, elsewhere);
        var linkedInput = Path.Combine(data, "val", "circle", "linked.png");
        File.CreateSymbolicLink(linkedInput, elsewhere);
        var outLink = Path.Combine(folder.Path, "out-link.csv");
        File.CreateSymbolicLink(outLink, elsewhere);
        AssertUserError(Graft("predict", model, Path.Combine(data, "val"), "--out", outLink), "through a link");
        Assert.Equal(File.ReadAllBytes(image), File.ReadAllBytes(elsewhere));
        File.Delete(linkedInput);

        // Through a link the target is written and the link kept.
        var target = folder.File("target.csv");
        File.WriteAllText(target, "old");
        var linked = Path.Combine(folder.Path, "linked.csv");
        File.CreateSymbolicLink(linked, target);
        Assert.True(Graft("predict", model, Path.Combine(data, "val"), "--out", linked, "--cache", cache).ExitCode == 0);
        Assert.NotNull(new FileInfo(linked).LinkTarget);
        Assert.StartsWith("file,label", File.ReadAllText(target));

        // An output that cannot be written is refused before any work.
        AssertUserError(Graft("predict", model, Path.Combine(data, "val"), "--out", folder.Path), "is a folder");
        AssertUserError(Graft("evaluate", model, Path.Combine(data, "val"), "--out", Path.Combine(folder.Path, "fresh") + "/"),
            "ends in a slash");
        AssertUserError(Graft("predict", model, Path.Combine(data, "val"), "--out", Path.Combine(model, "metrics.json")),
            "belongs to the model");
        AssertUserError(Graft("evaluate", model, Path.Combine(data, "val"), "--out", Path.Combine(jsonPath, "e.json")),
            "is a file, so the folder cannot be made");
    }
}
