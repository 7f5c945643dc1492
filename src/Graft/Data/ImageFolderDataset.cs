namespace Graft.Data;

/// <summary>
/// Images sorted into one folder per class, the layout torchvision's ImageFolder reads: either
/// <c>DATA/train/&lt;class&gt;</c> with <c>DATA/val/&lt;class&gt;</c> (and optionally
/// <c>DATA/test/&lt;class&gt;</c>), or a single <c>DATA/&lt;class&gt;</c> split into train and val.
/// </summary>
public sealed record ImageFolderDataset
{
    /// <summary>Class names, sorted ordinally; a label is an index into this list.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Training images.</summary>
    public required IReadOnlyList<LabeledImage> Train { get; init; }

    /// <summary>Validation images: the val folder, or the held-out part of a split.</summary>
    public required IReadOnlyList<LabeledImage> Val { get; init; }

    /// <summary>Test images, when a test folder exists.</summary>
    public IReadOnlyList<LabeledImage>? Test { get; init; }

    /// <summary>True when val was split off the training folders.</summary>
    public bool ValIsSplit { get; init; }

    /// <summary>The folder of class folders the training images come from (DATA/train, or DATA itself).</summary>
    public string TrainFolder { get; init; } = "";

    /// <summary>Things the user should know (empty classes, missing classes in val, ...).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Hidden or system entries that were ignored.</summary>
    public required IReadOnlyList<string> Ignored { get; init; }

    /// <summary>True when <paramref name="root"/> has train and val folders, so nothing is split off.</summary>
    public static bool HasValFolder(string root) =>
        Directory.Exists(root) && FirstExisting(root, "train") is not null &&
        FirstExisting(root, "val", "valid", "validation") is not null;

    /// <summary>Reads a data folder.</summary>
    /// <param name="root">The data folder.</param>
    /// <param name="valFraction">Share of each class held out for val when there is no val folder.</param>
    /// <param name="seed">Seed of the split.</param>
    public static ImageFolderDataset Load(string root, double valFraction = 0.2, int seed = 0)
    {
        var data = Read(root, valFraction, seed);
        var counts = Enumerable.Range(0, data.ClassNames.Count).Select(c => data.Train.Count(i => i.Label == c)).ToList();
        var fewest = counts.Min();
        if (fewest >= FewTrainingImages)
            return data;
        var name = data.ClassNames[counts.IndexOf(fewest)];
        return data with
        {
            Warnings = [.. data.Warnings, $"class '{name}' has only {Counted.Of(fewest, "training image")}: " +
                                          "a head learns little from so few, and its val numbers vary a lot with " +
                                          "which images they are"],
        };
    }

    /// <summary>Below this many training images in a class, a run says the results rest on very little.</summary>
    public const int FewTrainingImages = 5;

    static ImageFolderDataset Read(string root, double valFraction, int seed)
    {
        if (!Directory.Exists(root))
            throw new GraftException(File.Exists(root)
                ? $"{root}: is a file; give the folder that holds one sub-folder per class"
                : $"{root}: folder not found");
        if (!(valFraction > 0 && valFraction < 1))
            throw new GraftException($"--val-fraction must be above 0 and below 1 (got {valFraction})");

        var warnings = new List<string>();
        var ignored = new List<string>();
        var trainDir = FirstExisting(root, "train");
        var valDir = FirstExisting(root, "val", "valid", "validation");
        var testDir = FirstExisting(root, "test");

        if (trainDir is not null)
        {
            WarnAboutUnreadFolders(root, [trainDir, valDir, testDir], warnings);
            var train = ClassFolders.Read(trainDir, warnings, ignored);
            RequireTwoClasses(train, trainDir);
            var classNames = train.Keys.ToList();
            if (valDir is null)
            {
                warnings.Add($"{root}: no val folder; holding out {valFraction:P0} of each class of train for val");
                var (t, v) = Split(train, classNames, valFraction, seed, warnings);
                return new ImageFolderDataset
                {
                    ClassNames = classNames, Train = t, Val = v, ValIsSplit = true, TrainFolder = trainDir,
                    Test = testDir is null ? null : ReadLabelled(testDir, classNames, warnings, ignored),
                    Warnings = warnings, Ignored = ignored,
                };
            }
            return new ImageFolderDataset
            {
                ClassNames = classNames, TrainFolder = trainDir,
                Train = Flatten(train, classNames),
                Val = ReadLabelled(valDir, classNames, warnings, ignored),
                Test = testDir is null ? null : ReadLabelled(testDir, classNames, warnings, ignored),
                Warnings = warnings, Ignored = ignored,
            };
        }

        var all = ClassFolders.Read(root, warnings, ignored);
        RequireTwoClasses(all, root);
        var names = all.Keys.ToList();
        var (trainSet, valSet) = Split(all, names, valFraction, seed, warnings);
        return new ImageFolderDataset
        {
            ClassNames = names, Train = trainSet, Val = valSet, ValIsSplit = true, TrainFolder = root,
            Warnings = warnings, Ignored = ignored,
        };
    }

    /// <summary>
    /// Reads a labelled split (val or test) whose class folders are mapped to
    /// <paramref name="classNames"/> by name. A class the model does not know is an error.
    /// </summary>
    public static IReadOnlyList<LabeledImage> ReadLabelled(
        string folder, IReadOnlyList<string> classNames, List<string> warnings, List<string> ignored)
    {
        if (!Directory.Exists(folder))
            throw new GraftException(File.Exists(folder)
                ? $"{folder}: is a file; give a folder of class folders (graft predict takes single images)"
                : $"{folder}: folder not found");

        var classes = ClassFolders.Read(folder, warnings, ignored);
        if (classes.Count == 0)
            throw new GraftException($"{folder}: no class folders with images found (expected {folder}/<class>/<image>)");

        var unknown = classes.Keys.Where(name => !classNames.Contains(name)).ToList();
        if (unknown.Count > 0)
            throw new GraftException(
                $"{Path.Combine(folder, unknown[0])}: not one of the model's classes (train has: {string.Join(", ", classNames)})" +
                (unknown.Count > 1 ? $"; also unknown: {string.Join(", ", unknown.Skip(1))}" : "") +
                (FirstExisting(folder, "val", "valid", "validation", "test") is { } split &&
                 unknown.Contains(Path.GetFileName(split))
                    ? $". {folder} holds a whole data set's splits; give one of them, such as {split}"
                    : ""));

        foreach (var missing in classNames.Where(name => !classes.ContainsKey(name)))
            warnings.Add($"{folder}: has no images of class '{missing}'; its accuracy there is not measured");
        return Flatten(classes, classNames);
    }

    // Beside train/, only the val and test folders are read: another folder there (a class put
    // in the wrong place, a second val folder under another name) is named, not silently skipped.
    static void WarnAboutUnreadFolders(string root, string?[] used, List<string> warnings)
    {
        foreach (var folder in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (used.Contains(folder) || ClassFolders.IsHidden(name))
                continue;
            var alsoSplit = SplitNames.Any(split => string.Equals(split, name, StringComparison.OrdinalIgnoreCase));
            warnings.Add(alsoSplit
                ? $"{folder}: not read, as {used.FirstOrDefault(u => u is not null && SplitOf(u) == SplitOf(folder)) ?? "another folder"} " +
                  "is used for that split; merge the two"
                : $"{folder}: beside {Path.GetFileName(used[0])}/, so not read; move it into the train or val " +
                  "folder if it is a class");
        }
    }

    static readonly string[] SplitNames = ["train", "val", "valid", "validation", "test"];

    static string SplitOf(string folder) => Path.GetFileName(folder).ToLowerInvariant() switch
    {
        "valid" or "validation" => "val",
        var name => name,
    };

    // A split folder by any of its names, in any case (Train, VAL): the exact name first.
    static string? FirstExisting(string root, params string[] names)
    {
        var folders = Directory.EnumerateDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal).ToList();
        foreach (var name in names)
        {
            var found = folders.FirstOrDefault(folder => folder == name)
                        ?? folders.FirstOrDefault(folder => string.Equals(folder, name, StringComparison.OrdinalIgnoreCase));
            if (found is not null)
                return Path.Combine(root, found);
        }
        return null;
    }

    static void RequireTwoClasses(SortedDictionary<string, List<string>> classes, string folder)
    {
        if (classes.Count == 0)
            throw new GraftException(
                $"{folder}: no class folders with images found; expected one sub-folder per class " +
                $"({folder}/<class>/<image>), or train/ and val/ folders of that shape");
        if (classes.Count == 1)
            throw new GraftException(
                $"{folder}: only one class ('{classes.Keys.First()}'); a classifier needs at least two class folders");
    }

    static List<LabeledImage> Flatten(SortedDictionary<string, List<string>> classes, IReadOnlyList<string> names)
    {
        var result = new List<LabeledImage>();
        foreach (var (name, files) in classes)
        {
            var label = IndexOf(names, name);
            result.AddRange(files.Select(file => new LabeledImage(file, label)));
        }
        return result;
    }

    static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.Ordinal))
                return i;
        return -1;
    }

    static (List<LabeledImage> Train, List<LabeledImage> Val) Split(
        SortedDictionary<string, List<string>> classes, IReadOnlyList<string> names, double valFraction, int seed,
        List<string> warnings)
    {
        var train = new List<LabeledImage>();
        var val = new List<LabeledImage>();
        foreach (var (name, files) in classes)
        {
            var label = IndexOf(names, name);
            var order = files.ToArray();
            new Random(seed ^ StableHash(name)).Shuffle(order);
            var held = files.Count < 2 ? 0 : Math.Clamp((int)Math.Round(files.Count * valFraction), 1, files.Count - 1);
            if (held == 0)
                warnings.Add($"class '{name}' has only {files.Count} file: it is used for training, and val has none of it");
            val.AddRange(order.Take(held).Order(StringComparer.Ordinal).Select(f => new LabeledImage(f, label)));
            train.AddRange(order.Skip(held).Order(StringComparer.Ordinal).Select(f => new LabeledImage(f, label)));
        }
        return (train, val);
    }

    static int StableHash(string text)
    {
        unchecked
        {
            var hash = (int)2166136261;
            foreach (var ch in text)
                hash = (hash ^ ch) * 16777619;
            return hash;
        }
    }
}
