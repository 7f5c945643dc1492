using static TorchSharp.torch;

namespace Graft.Backbones.Torch;

/// <summary>
/// Reads a torchvision state_dict written by PyTorch's <c>torch.save</c>: tells which architecture
/// it holds from its keys and shapes, builds that network with TorchSharp's TorchVision, and copies
/// the weights in after checking every key and shape, so a wrong file fails with the names that differ.
/// </summary>
internal static class TorchVisionCheckpoint
{
    const string BatchCounter = ".num_batches_tracked";

    /// <summary>The network <paramref name="path"/> holds, with its weights, frozen and in eval mode.</summary>
    /// <exception cref="GraftException">
    /// The file is unreadable, of an architecture Graft does not know, or does not fit its architecture.
    /// </exception>
    public static BackboneNetwork Load(string path)
    {
        using var file = StateDictFile.Open(path);
        var network = Identify(file.Shapes, path).Create();
        try
        {
            network.LoadReport = CopyInto(network, file);
            network.Eval();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The architecture <paramref name="path"/> holds, read from its keys and shapes only.</summary>
    /// <exception cref="GraftException">The file is unreadable or of an architecture Graft does not know.</exception>
    public static TorchVisionArchitecture Identify(string path)
    {
        using var file = StateDictFile.Open(path);
        return Identify(file.Shapes, path);
    }

    /// <summary>The architecture whose state_dict has these keys and shapes.</summary>
    /// <exception cref="GraftException">None that Graft knows; the message names the keys.</exception>
    public static TorchVisionArchitecture Identify(IReadOnlyDictionary<string, long[]> shapes, string source)
    {
        if (shapes.ContainsKey("conv1.weight")
            && shapes.Keys.Any(k => k.StartsWith("layer1.", StringComparison.Ordinal)))
            return IdentifyResNet(shapes, source);
        if (shapes.ContainsKey("features.1.conv.0.0.weight"))
            return TorchVisionArchitecture.MobileNetV2;
        if (shapes.TryGetValue("features.0.weight", out var first) && first.SequenceEqual([64L, 3, 11, 11]))
            return TorchVisionArchitecture.AlexNet;
        if (shapes.ContainsKey("features.0.weight") && shapes.ContainsKey("classifier.0.weight"))
            return IdentifyVgg(shapes, source);

        var unsupported = shapes.Keys.Any(k => k.StartsWith("features.1.block.", StringComparison.Ordinal))
            ? "a MobileNetV3, which Graft does not load: TorchSharp's MobileNetV3 uses ReLU6 inside its " +
              "squeeze-excitation blocks where torchvision's uses ReLU, so its features would differ"
            : shapes.Keys.Any(k => k.StartsWith("inception", StringComparison.Ordinal)
                                   || k.StartsWith("Mixed_", StringComparison.Ordinal))
                ? "a GoogLeNet or Inception v3, which Graft does not load yet"
                : "not a torchvision architecture Graft knows";
        var keys = shapes.Keys.Order(StringComparer.Ordinal).ToList();
        throw new GraftException(
            $"{source}: {unsupported} (its keys: {Names(keys, 8)}). " +
            "Graft reads torchvision state_dicts of resnet18/34/50/101/152, resnext, wide_resnet, " +
            "vgg11/13/16/19 with or without _bn, alexnet and mobilenet_v2 (see graft backbones)");
    }

    static TorchVisionArchitecture IdentifyResNet(IReadOnlyDictionary<string, long[]> shapes, string source)
    {
        var stages = new[] { "layer1", "layer2", "layer3", "layer4" };
        var blocks = stages.Select(stage => shapes.Keys
                .Where(key => key.StartsWith(stage + ".", StringComparison.Ordinal))
                .Select(key => int.TryParse(key.Split('.')[1], out var index) ? index + 1 : 0)
                .DefaultIfEmpty(0).Max())
            .ToArray();
        if (blocks.Any(count => count == 0))
            throw new GraftException(
                $"{source}: a ResNet state_dict without all of {string.Join(", ", stages)} " +
                $"(blocks per stage: {string.Join(", ", blocks)}; keys: {Names(shapes.Keys.ToList(), 8)})");

        if (!shapes.Keys.Any(key => key.Contains(".conv3.", StringComparison.Ordinal)))
            return TorchVisionArchitecture.ResNet(blocks);

        // The 3x3 convolution of a bottleneck is [width, width / groups, 3, 3], and torchvision's
        // width in the first stage is groups * width_per_group.
        if (!shapes.TryGetValue("layer1.0.conv2.weight", out var conv2) || conv2.Length != 4 || conv2[1] == 0)
            throw new GraftException($"{source}: a bottleneck ResNet without a usable layer1.0.conv2.weight");
        var widthPerGroup = (int)conv2[1];
        var groups = (int)(conv2[0] / conv2[1]);
        var depth = blocks.Sum() * 3 + 2;
        if (!blocks.SequenceEqual(TorchVisionArchitecture.BottleneckBlocks(depth)))
            throw new GraftException(
                $"{source}: a bottleneck ResNet with [{string.Join(", ", blocks)}] blocks per stage, not one " +
                "of TorchVision's (50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3])");
        return TorchVisionArchitecture.ResNet(blocks, bottleneck: true, groups, widthPerGroup);
    }

    static TorchVisionArchitecture IdentifyVgg(IReadOnlyDictionary<string, long[]> shapes, string source)
    {
        var convolutions = shapes.Count(pair =>
            pair.Key.StartsWith("features.", StringComparison.Ordinal) && pair.Key.EndsWith(".weight") &&
            pair.Value.Length == 4);
        var depth = convolutions + 3;
        if (depth is not (11 or 13 or 16 or 19))
            throw new GraftException(
                $"{source}: looks like a VGG (features.N and classifier.N keys) but has {convolutions} " +
                "convolutions; torchvision's VGGs have 8, 10, 13 or 16");
        return TorchVisionArchitecture.Vgg(depth, batchNorm: shapes.ContainsKey("features.1.running_mean"));
    }

    /// <summary>
    /// Copies every tensor of <paramref name="file"/> into <paramref name="network"/>. Differences in
    /// the classifier (which Graft replaces) are allowed and reported; any other missing, unexpected
    /// or differently shaped tensor is an error that names them all.
    /// </summary>
    public static WeightLoadReport CopyInto(BackboneNetwork network, StateDictFile file)
    {
        var architecture = network.Architecture;
        var targets = network.Module.state_dict();
        var stored = file.Shapes;

        var missing = targets.Keys.Where(key => !stored.ContainsKey(key)).ToList();
        var unexpected = stored.Keys.Where(key => !targets.ContainsKey(key)).ToList();
        var misshapen = stored.Keys
            .Where(key => targets.TryGetValue(key, out var target) && !target.shape.SequenceEqual(stored[key]))
            .ToList();

        // Checkpoints saved before PyTorch 0.4.1 have no batch-norm counters; like PyTorch, Graft
        // does without them (they only matter to training with momentum=None).
        bool Tolerated(string key) =>
            architecture.IsClassifier(key) || key.EndsWith(BatchCounter, StringComparison.Ordinal);
        var fatal = new List<string>();
        var fatalMissing = missing.Where(key => !Tolerated(key)).ToList();
        var fatalUnexpected = unexpected.Where(key => !architecture.IsClassifier(key)).ToList();
        if (fatalMissing.Count > 0)
            fatal.Add($"missing from the checkpoint: {Names(fatalMissing, 20)}");
        if (fatalUnexpected.Count > 0)
            fatal.Add($"not in the network: {Names(fatalUnexpected, 20)}");
        foreach (var key in misshapen.Where(key => !architecture.IsClassifier(key)))
            fatal.Add($"{key} is [{string.Join(", ", stored[key])}] in the checkpoint " +
                      $"but [{string.Join(", ", targets[key].shape)}] in the network");
        if (fatal.Count > 0)
            throw new GraftException(
                $"{file.Path} looks like torchvision's {architecture.Name} but does not fit it " +
                $"({string.Join("; ", fatal)}). Is it a state_dict of an unmodified {architecture.Name}?");

        var loaded = new Dictionary<string, string>();
        using (no_grad())
        {
            foreach (var (key, target) in targets)
            {
                if (!stored.ContainsKey(key) || misshapen.Contains(key))
                    continue;
                using var value = file.Read(key);
                target.copy_(value);
                loaded[key] = key;
            }
        }

        // A classifier of another shape is reported as both missing and unused, like PyTorch's
        // load_state_dict(strict=False) would leave it.
        missing.AddRange(misshapen);
        unexpected.AddRange(misshapen);
        return new WeightLoadReport(file.Path, loaded, missing, unexpected);
    }

    static string Names(IReadOnlyList<string> keys, int count) =>
        string.Join(", ", keys.Take(count)) + (keys.Count > count ? $", ... ({keys.Count - count} more)" : "");
}
