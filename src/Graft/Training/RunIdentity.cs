using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Graft.Data;
using Graft.Heads;

namespace Graft.Training;

/// <summary>
/// What a fine-tuning run is made of, as far as resuming it goes: the data (its folder, classes,
/// and the train and val images by path, size and label) and every option that shapes training.
/// A checkpoint stores it, and a run may only go on from a checkpoint whose identity is its own:
/// otherwise it would continue someone else's run while measuring on other images.
/// </summary>
public sealed record RunIdentity
{
    /// <summary>The data folder's full path.</summary>
    public required string DataDir { get; init; }

    /// <summary>Class names in label order.</summary>
    public required IReadOnlyList<string> Classes { get; init; }

    /// <summary>Number of training images listed.</summary>
    public required int TrainImages { get; init; }

    /// <summary>Number of val images listed.</summary>
    public required int ValImages { get; init; }

    /// <summary>SHA-256 (first 16 bytes, hex) of the train and val images' relative paths, sizes and labels.</summary>
    public required string ImagesDigest { get; init; }

    /// <summary>The share held out for val; null when val is a folder of its own (the share plays no part).</summary>
    public double? ValFraction { get; init; }

    /// <summary>The backbone as <c>--backbone</c> named it.</summary>
    public required string Backbone { get; init; }

    /// <summary>The stage the head sees.</summary>
    public required string Layer { get; init; }

    /// <summary>The head.</summary>
    public required HeadSpec Head { get; init; }

    /// <summary>How the head was trained on frozen features.</summary>
    public required TrainOptions Training { get; init; }

    /// <summary>How the backbone is fine-tuned.</summary>
    public required FineTuneOptions FineTune { get; init; }

    /// <summary>The identity of a run on <paramref name="data"/> read from <paramref name="dataDir"/>.</summary>
    public static RunIdentity Of(string dataDir, double valFraction, ImageFolderDataset data, string backbone,
        string layer, HeadSpec head, TrainOptions training, FineTuneOptions fineTune)
    {
        var root = Path.GetFullPath(dataDir);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (split, images) in new[] { ("train", data.Train), ("val", data.Val) })
            foreach (var image in images)
            {
                var file = new FileInfo(image.Path);
                var line = string.Join('\t', split, Path.GetRelativePath(root, file.FullName),
                    (file.Exists ? file.Length : -1).ToString(CultureInfo.InvariantCulture),
                    image.Label.ToString(CultureInfo.InvariantCulture));
                sha.AppendData(Encoding.UTF8.GetBytes(line + "\n"));
            }

        return new RunIdentity
        {
            DataDir = Path.TrimEndingDirectorySeparator(root), Classes = data.ClassNames,
            TrainImages = data.Train.Count, ValImages = data.Val.Count,
            ImagesDigest = Convert.ToHexString(sha.GetHashAndReset())[..32].ToLowerInvariant(),
            ValFraction = data.ValIsSplit ? valFraction : null, Backbone = backbone, Layer = layer,
            Head = head, Training = training, FineTune = fineTune,
        };
    }

    /// <summary>
    /// What differs between this run (the checkpoint's) and <paramref name="now"/>, one entry per
    /// option or property in the words of the command line, such as "--finetune-lr 0.0001 there,
    /// 0.001 here"; empty when <paramref name="now"/> may go on from this checkpoint.
    /// </summary>
    public IReadOnlyList<string> Differences(RunIdentity now)
    {
        var differences = new List<string>();
        void Compare(string name, object? there, object? here)
        {
            var (a, b) = (Text(there), Text(here));
            var entry = $"{name} {a} there, {b} here";
            if (a != b && !differences.Contains(entry))
                differences.Add(entry);
        }

        // An option both phases take (--patience, --batch-size, ...) is named once when it differs
        // alike in both, and with its phase when not.
        void ComparePhases(string name, object? headThere, object? headHere, object? fineThere, object? fineHere)
        {
            var head = (Text(headThere), Text(headHere));
            var fine = (Text(fineThere), Text(fineHere));
            if (head == fine)
            {
                Compare(name, headThere, headHere);
                return;
            }
            Compare($"{name} (head)", headThere, headHere);
            Compare($"{name} (fine-tuning)", fineThere, fineHere);
        }

        Compare("DATA", DataDir, now.DataDir);
        Compare("classes", string.Join(", ", Classes), string.Join(", ", now.Classes));
        if (TrainImages != now.TrainImages || ValImages != now.ValImages)
            differences.Add($"images {TrainImages} train and {ValImages} val there, " +
                            $"{now.TrainImages} and {now.ValImages} here");
        else if (ImagesDigest != now.ImagesDigest)
            differences.Add("images: as many, but other files, names or sizes here");
        Compare("--val-fraction", ValFraction, now.ValFraction);
        Compare("--backbone", Backbone, now.Backbone);
        Compare("--layer", Layer, now.Layer);
        Compare("--head", Head.Kind, now.Head.Kind);
        Compare("--hidden", string.Join(',', Head.Hidden), string.Join(',', now.Head.Hidden));
        Compare("--dropout", Head.Dropout, now.Head.Dropout);

        var (t, n) = (Training, now.Training);
        var (f, g) = (FineTune, now.FineTune);
        Compare("--epochs", t.Epochs, n.Epochs);
        Compare("--lr", t.LearningRate, n.LearningRate);
        Compare("--weight-decay", t.WeightDecay, n.WeightDecay);
        ComparePhases("--batch-size", t.BatchSize, n.BatchSize, f.BatchSize, g.BatchSize);
        ComparePhases("--schedule", t.Schedule, n.Schedule, f.Schedule, g.Schedule);
        ComparePhases("step size", t.StepSize, n.StepSize, f.StepSize, g.StepSize);
        ComparePhases("gamma", t.Gamma, n.Gamma, f.Gamma, g.Gamma);
        ComparePhases("--patience", t.Patience, n.Patience, f.Patience, g.Patience);
        ComparePhases("--seed", t.Seed, n.Seed, f.Seed, g.Seed);

        Compare("--finetune", f.Describe(), g.Describe());
        Compare("--finetune-epochs", f.Epochs, g.Epochs);
        Compare("--finetune-lr", f.LearningRate, g.LearningRate);
        Compare("--backbone-lr-factor", f.BackboneLrFactor, g.BackboneLrFactor);
        Compare("--optimizer", f.Optimizer, g.Optimizer);
        Compare("momentum", f.Momentum, g.Momentum);
        Compare("backbone weight decay", f.WeightDecay, g.WeightDecay);
        Compare("--augment", f.Augment, g.Augment);
        Compare("--finetune-bn", f.BatchNorm, g.BatchNorm);
        return differences;
    }

    static string Text(object? value) => value switch
    {
        null => "(none)",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string s when s.Length == 0 => "(none)",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
