using System.Collections;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Graft.Backbones.Torch;

/// <summary>
/// Reads a state_dict written by PyTorch's <c>torch.save</c> into a torchvision-layout module,
/// checking every key and shape first so a wrong file fails with the names that differ.
/// </summary>
internal static class TorchVisionCheckpoint
{
    // DataParallel and DistributedDataParallel save their wrapped model under this name.
    const string WrapperPrefix = "module.";

    // Differences in the classifier are allowed: Graft trains its own head.
    const string ClassifierPrefix = "fc.";

    public static WeightLoadReport CopyInto(nn.Module network, string path)
    {
        if (!File.Exists(path))
            throw new GraftException($"{path}: checkpoint not found");

        // The network's own tensors are taken outside the scope, which frees only what was read.
        var targets = network.state_dict();
        using var scope = NewDisposeScope();
        var stored = ReadStateDict(path);

        var missing = targets.Keys.Where(key => !stored.ContainsKey(key)).ToList();
        var unexpected = stored.Keys.Where(key => !targets.ContainsKey(key)).ToList();
        var misshapen = stored.Keys
            .Where(key => targets.TryGetValue(key, out var target)
                          && !target.shape.SequenceEqual(stored[key].shape))
            .ToList();

        var fatal = new List<string>();
        var fatalMissing = missing.Where(key => !IsClassifier(key)).ToList();
        var fatalUnexpected = unexpected.Where(key => !IsClassifier(key)).ToList();
        if (fatalMissing.Count > 0)
            fatal.Add($"missing from the checkpoint: {string.Join(", ", fatalMissing)}");
        if (fatalUnexpected.Count > 0)
            fatal.Add($"not in the network: {string.Join(", ", fatalUnexpected)}");
        foreach (var key in misshapen.Where(key => !IsClassifier(key)))
            fatal.Add($"{key} is [{string.Join(", ", stored[key].shape)}] in the checkpoint " +
                      $"but [{string.Join(", ", targets[key].shape)}] in the network");
        if (fatal.Count > 0)
            throw new GraftException(
                $"{path} does not fit the network ({string.Join("; ", fatal)}). " +
                "Is it a torchvision ResNet state_dict with the same depth?");

        var loaded = new Dictionary<string, string>();
        using (no_grad())
        {
            foreach (var (key, target) in targets)
            {
                if (!stored.TryGetValue(key, out var value) || misshapen.Contains(key))
                    continue;
                target.copy_(value);
                loaded[key] = key;
            }
        }

        // A classifier of another shape is reported as both missing and unused, like PyTorch's
        // load_state_dict(strict=False) would leave it.
        missing.AddRange(misshapen);
        unexpected.AddRange(misshapen);
        return new WeightLoadReport(path, loaded, missing, unexpected);
    }

    static bool IsClassifier(string key) => key.StartsWith(ClassifierPrefix, StringComparison.Ordinal);

    static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not GraftException)
        {
            throw new GraftException(
                $"{path}: not a state_dict saved by torch.save ({e.GetType().Name}: {e.Message})", e);
        }

        var stateDict = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor value)
                continue;
            if (key.StartsWith(WrapperPrefix, StringComparison.Ordinal))
                key = key[WrapperPrefix.Length..];
            stateDict[key] = value;
        }
        if (stateDict.Count == 0)
            throw new GraftException(
                $"{path}: holds no tensors; is it a whole pickled model rather than a state_dict?");
        return stateDict;
    }
}
