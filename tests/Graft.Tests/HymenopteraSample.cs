namespace Graft.Tests;

/// <summary>
/// A small real data set for tests that run TorchSharp over every image: the first 30 ants and
/// 30 bees of hymenoptera_data's train and of its val, linked (not copied) into a temporary
/// folder, with a feature cache the tests of one class share.
/// </summary>
public sealed class HymenopteraSample : IDisposable
{
    /// <summary>Images per class in each split.</summary>
    public const int PerClass = 30;

    readonly TempFolder _folder = new();
    readonly Lazy<string> _data;

    /// <summary>Creates the folder; the links are made on first use, so tests without ../shared skip.</summary>
    public HymenopteraSample() => _data = new Lazy<string>(Link);

    /// <summary>The sample's data folder (train/ and val/ of ants and bees).</summary>
    public string Data => _data.Value;

    /// <summary>The shared cache folder.</summary>
    public string Cache => Path.Combine(_folder.Path, "cache");

    /// <summary>A new output folder.</summary>
    public string NewOut() => Path.Combine(_folder.Path, "out-" + Guid.NewGuid().ToString("N")[..8]);

    /// <inheritdoc />
    public void Dispose() => _folder.Dispose();

    string Link()
    {
        var root = Path.Combine(_folder.Path, "hymenoptera_sample");
        foreach (var split in new[] { "train", "val" })
            foreach (var label in new[] { "ants", "bees" })
            {
                var source = SharedData.Data(Path.Combine("hymenoptera_data", split, label));
                var target = Directory.CreateDirectory(Path.Combine(root, split, label)).FullName;
                foreach (var file in Directory.GetFiles(source).Order(StringComparer.Ordinal).Take(PerClass))
                    File.CreateSymbolicLink(Path.Combine(target, Path.GetFileName(file)), file);
            }
        return root;
    }
}
