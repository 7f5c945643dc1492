using System.Collections;
using System.Security.Cryptography;
using Graft.Backbones.Torch;
using TorchSharp.PyBridge;

namespace Graft.Backbones;

/// <summary>
/// A torchvision ResNet checkpoint (a state_dict <c>.pth</c>) used as a frozen backbone: given as a
/// path, or as a file name looked up where PyTorch keeps downloaded weights.
/// </summary>
public static class TorchVisionBackbone
{
    /// <summary>
    /// The folder PyTorch downloads weights to: <c>$TORCH_HOME/hub/checkpoints</c>, by default
    /// <c>~/.cache/torch/hub/checkpoints</c> (or under <c>$XDG_CACHE_HOME</c> when that is set).
    /// </summary>
    public static string HubCheckpointsDir()
    {
        var torchHome = Environment.GetEnvironmentVariable("TORCH_HOME");
        if (string.IsNullOrEmpty(torchHome))
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache))
                cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            torchHome = Path.Combine(cache, "torch");
        }
        return Path.Combine(torchHome, "hub", "checkpoints");
    }

    /// <summary>The .pth files in <paramref name="hubDir"/> (default <see cref="HubCheckpointsDir"/>).</summary>
    public static IReadOnlyList<string> FindCheckpoints(string? hubDir = null)
    {
        var folder = hubDir ?? HubCheckpointsDir();
        return Directory.Exists(folder) ? Directory.GetFiles(folder, "*.pth").Order().ToList() : [];
    }

    /// <summary>
    /// The checkpoint a <c>--backbone</c> value names: an existing path, else a bare file name
    /// looked up in <paramref name="hubDir"/> (default <see cref="HubCheckpointsDir"/>).
    /// </summary>
    /// <exception cref="GraftException">Neither exists.</exception>
    public static string Locate(string spec, string? hubDir = null)
    {
        if (File.Exists(spec))
            return Path.GetFullPath(spec);
        var folder = hubDir ?? HubCheckpointsDir();
        var isBareName = Path.GetFileName(spec) == spec;
        if (isBareName && File.Exists(Path.Combine(folder, spec)))
            return Path.Combine(folder, spec);
        throw new GraftException(
            $"--backbone {spec}: no such file" + (isBareName ? $" here or in {folder}" : "") +
            "; give resnet18 (embedded), a torchvision ResNet .pth path, the name of one in " +
            "$TORCH_HOME/hub/checkpoints, or an .onnx model path (see graft backbones)");
    }

    /// <summary>
    /// Describes the checkpoint at <paramref name="path"/> as a backbone at <paramref name="layer"/>,
    /// with torchvision's preprocessing and a fingerprint of the file's bytes.
    /// </summary>
    /// <exception cref="GraftException">The file is not a basic-block torchvision ResNet state_dict.</exception>
    public static BackboneInfo Describe(string path, string layer)
    {
        var blocks = BlocksPerStage(path);
        return new BackboneInfo($"torchvision-{ArchitectureName(blocks)}", layer, TorchResNet.Channels(layer),
            Preprocessing.TorchVision(), Fingerprint(path))
        {
            Source = Path.GetFullPath(path),
        };
    }

    /// <summary>Opens <paramref name="backbone"/>, which <see cref="Describe"/> made, for extraction.</summary>
    /// <exception cref="GraftException">The file is gone or its bytes changed since.</exception>
    public static TorchFeatureExtractor Open(BackboneInfo backbone)
    {
        var path = backbone.Source ?? throw new ArgumentException("the backbone has no source file", nameof(backbone));
        RequireUnchanged(path, backbone.WeightsFingerprint);

        var network = TorchResNet.FromTorchVisionCheckpoint(path, BlocksPerStage(path));
        return new TorchFeatureExtractor(network, backbone);
    }

    /// <summary>Fails unless the weights file at <paramref name="path"/> is still the one trained on.</summary>
    /// <exception cref="GraftException">It is gone or its bytes changed.</exception>
    public static void RequireUnchanged(string path, string fingerprint)
    {
        if (!File.Exists(path))
            throw new GraftException(
                $"the model's backbone weights {path} are gone; put the file back there, or train again " +
                "with --backbone naming where it is now");
        var now = Fingerprint(path);
        if (now != fingerprint)
            throw new GraftException(
                $"{path} has changed since the model was trained (was '{fingerprint}', now '{now}'); " +
                "restore the file or train again");
    }

    /// <summary>File name, size and the start of the SHA-256 of its bytes.</summary>
    public static string Fingerprint(string path)
    {
        using var stream = File.OpenRead(path);
        var hash = Convert.ToHexString(SHA256.HashData(stream))[..16].ToLowerInvariant();
        return $"{Path.GetFileName(path)}:{stream.Length}:sha256={hash}";
    }

    static string ArchitectureName(IReadOnlyList<int> blocks) => string.Join(",", blocks) switch
    {
        "2,2,2,2" => "resnet18",
        "3,4,6,3" => "resnet34",
        var other => $"resnet[{other}]",
    };

    // The depth is read from the keys (layerS.B.*), so one loader serves resnet18 and resnet34.
    static IReadOnlyList<int> BlocksPerStage(string path)
    {
        if (!File.Exists(path))
            throw new GraftException($"{path}: checkpoint not found");

        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e)
        {
            throw new GraftException(
                $"{path}: not a state_dict saved by torch.save ({e.GetType().Name}: {e.Message})", e);
        }

        var keys = new List<string>();
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string key)
                keys.Add(key.StartsWith("module.", StringComparison.Ordinal) ? key["module.".Length..] : key);
            (entry.Value as IDisposable)?.Dispose();
        }
        if (keys.Any(key => key.Contains(".conv3.", StringComparison.Ordinal)))
            throw new GraftException(
                $"{path}: a bottleneck ResNet (resnet50, resnet101 or resnet152), which Graft does not " +
                "support yet; use a basic-block one (resnet18 or resnet34)");

        var blocks = TorchResNet.StageNames.Select(stage => keys
                .Where(key => key.StartsWith(stage + ".", StringComparison.Ordinal))
                .Select(key => int.TryParse(key.Split('.')[1], out var index) ? index + 1 : 0)
                .DefaultIfEmpty(0).Max())
            .ToList();
        if (blocks.Any(count => count == 0))
            throw new GraftException(
                $"{path}: not a torchvision ResNet state_dict (no {string.Join(", ", TorchResNet.StageNames)} " +
                $"keys; it has {string.Join(", ", keys.Take(5))}{(keys.Count > 5 ? ", ..." : "")})");
        return blocks;
    }
}
