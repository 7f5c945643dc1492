using System.Security.Cryptography;
using Graft.Backbones.Torch;
using Microsoft.Extensions.Logging;

namespace Graft.Backbones;

/// <summary>
/// A torchvision checkpoint (a state_dict <c>.pth</c>) used as a frozen backbone: ResNets of every
/// depth, ResNeXt, wide ResNets, VGG, AlexNet and MobileNetV2, recognized from the file's keys and
/// shapes and built with TorchSharp's TorchVision. It is given as a path, as a file name looked up
/// where PyTorch keeps downloaded weights, or as an architecture name whose published file is there.
/// </summary>
public static class TorchVisionBackbone
{
    /// <summary>The prefix of the ids of torchvision backbones, before the architecture's name.</summary>
    public const string IdPrefix = "torchvision-";

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
    /// The checkpoint a <c>--backbone</c> value names: an existing path; else a bare file name in
    /// <paramref name="hubDir"/> (default <see cref="HubCheckpointsDir"/>); else an architecture
    /// name such as <c>vgg16</c>, whose torchvision file (the default weights first) is there.
    /// </summary>
    /// <exception cref="GraftException">None of these exists.</exception>
    public static string Locate(string spec, string? hubDir = null)
    {
        if (File.Exists(spec))
            return Path.GetFullPath(spec);
        if (Directory.Exists(spec))
            throw new GraftException(
                $"--backbone {spec} is a folder; give the .pth or .onnx file in it, or a name (see graft backbones)");
        var folder = hubDir ?? HubCheckpointsDir();
        var isBareName = Path.GetFileName(spec) == spec;
        if (isBareName && File.Exists(Path.Combine(folder, spec)))
            return Path.Combine(folder, spec);

        var published = TorchVisionWeights.Of(spec);
        if (published.Count > 0)
        {
            var files = published.Select(w => w.FileName).ToList();
            var present = files.Select(name => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
            return present ?? throw new GraftException(
                $"--backbone {spec}: none of torchvision's files for it ({string.Join(", ", files)}) is in " +
                $"{folder}; PyTorch puts it there with torchvision.models.{spec}(weights=\"DEFAULT\"), " +
                "or give the path of the .pth file");
        }
        throw new GraftException(
            $"--backbone {spec}: no such file" + (isBareName ? $" here or in {folder}" : "") +
            "; give resnet18 (embedded), a torchvision architecture name whose weights are in " +
            "$TORCH_HOME/hub/checkpoints, a .pth path or file name there, or an .onnx model path " +
            "(see graft backbones)");
    }

    /// <summary>
    /// Describes the checkpoint at <paramref name="path"/> as a backbone at <paramref name="layer"/>
    /// (null: the architecture's default layer), with torchvision's preprocessing for these weights
    /// and a fingerprint of the file's bytes. Only the file's index of names and shapes is read.
    /// </summary>
    /// <exception cref="GraftException">
    /// The file is not a state_dict of an architecture Graft knows, or the layer is not one of its layers.
    /// </exception>
    public static BackboneInfo Describe(string path, string? layer = null)
    {
        var architecture = TorchVisionCheckpoint.Identify(path);
        return Describe(path, architecture, layer);
    }

    /// <summary>
    /// Opens the checkpoint at <paramref name="path"/> for extraction at <paramref name="layer"/>
    /// (null: the architecture's default layer), reading the file once, and logs what was loaded
    /// and that the classifier is replaced by Graft's head.
    /// </summary>
    /// <exception cref="GraftException">As <see cref="Describe(string, string?)"/>, or the weights misfit.</exception>
    public static TorchFeatureExtractor Open(string path, string? layer, ILogger? logger = null)
    {
        var network = TorchVisionCheckpoint.Load(path);
        try
        {
            var backbone = Describe(path, network.Architecture, layer);
            Log(logger, network, backbone);
            return new TorchFeatureExtractor(network, backbone);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="backbone"/>, which <see cref="Describe(string, string?)"/> made (and a
    /// saved model stores), for extraction.
    /// </summary>
    /// <exception cref="GraftException">The file is gone or its bytes changed since.</exception>
    public static TorchFeatureExtractor Open(BackboneInfo backbone, ILogger? logger = null)
    {
        var path = backbone.Source ?? throw new ArgumentException("the backbone has no source file", nameof(backbone));
        RequireUnchanged(path, backbone.WeightsFingerprint);

        var network = TorchVisionCheckpoint.Load(path);
        try
        {
            if (backbone.Id != IdPrefix + network.Architecture.Name)
                throw new GraftException(
                    $"{path} holds a {network.Architecture.Name}, but the model was trained on {backbone.Id}");
            Log(logger, network, backbone);
            return new TorchFeatureExtractor(network, backbone);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The architecture a checkpoint holds, read from its index of names and shapes.</summary>
    /// <exception cref="GraftException">The file is not a state_dict of an architecture Graft knows.</exception>
    public static TorchVisionArchitecture Identify(string path) => TorchVisionCheckpoint.Identify(path);

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

    static BackboneInfo Describe(string path, TorchVisionArchitecture architecture, string? layer)
    {
        // A file under one of torchvision's published names carries that name's preprocessing, and
        // must hold that architecture: a mismatch means a renamed file, which would mislead.
        var published = TorchVisionWeights.ForFile(Path.GetFileName(path));
        if (published is not null && published.Architecture != architecture.Name)
            throw new GraftException(
                $"{path} is named like torchvision's {published.Architecture} weights, but its keys and shapes " +
                $"are a {architecture.Name}'s; rename the file or check where it came from");

        layer ??= architecture.DefaultLayer;
        if (!architecture.Layers.Contains(layer))
            throw new GraftException(
                $"--layer {layer}: {architecture.Name} gives features at {string.Join(", ", architecture.Layers)} " +
                $"(default {architecture.DefaultLayer})");
        var preprocessing = published?.Preprocessing ?? Preprocessing.TorchVision();
        return new BackboneInfo(IdPrefix + architecture.Name, layer, architecture.FeatureDim(layer), preprocessing,
            Fingerprint(path))
        {
            Source = Path.GetFullPath(path),
        };
    }

    static void Log(ILogger? logger, BackboneNetwork network, BackboneInfo backbone)
    {
        if (logger is null)
            return;
        var architecture = network.Architecture;
        logger.LogInformation(
            "Backbone {Path}: torchvision {Architecture}, features from {Layer} ({Dim}); its classifier " +
            "{Classifier} is replaced by the new head", backbone.Source, architecture.Name, backbone.Layer,
            backbone.FeatureDim, architecture.Classifier);
        if (network.LoadReport is { } report)
            logger.LogInformation("{Report}", report.Summary());
    }
}
