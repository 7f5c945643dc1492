using Graft.Models;
using static TorchSharp.torch;

namespace Graft.Backbones.Torch;

/// <summary>Rebuilds a fine-tuned ResNet from the backbone weights a model file stores.</summary>
public static class StoredResNetWeights
{
    /// <summary>
    /// A <see cref="TorchResNet"/> whose every weight and batch-norm statistic comes from
    /// <paramref name="weights"/> (torchvision names); its depth and block kind are read from the
    /// names and shapes, so any ResNet Graft can fine-tune fits.
    /// </summary>
    /// <exception cref="GraftException">The weights do not describe a whole ResNet.</exception>
    public static TorchResNet Load(IReadOnlyDictionary<string, NamedTensor> weights)
    {
        const string source = "the model's stored backbone";
        var shapes = weights.ToDictionary(pair => pair.Key, pair => pair.Value.Shape);
        TorchVisionArchitecture architecture;
        try
        {
            architecture = TorchVisionCheckpoint.Identify(shapes, source);
        }
        catch (GraftException e)
        {
            throw new GraftException($"{e.Message}; the file is damaged");
        }
        if (architecture.Create() is not TorchResNet network)
            throw new GraftException($"{source} is a {architecture.Name}, not a ResNet; the file is damaged");

        var state = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, value) in weights)
                state[name] = tensor(value.Data, value.Shape);
            var (missing, unexpected) = network.Network.load_state_dict(state, strict: false);
            var absent = missing.Where(name => !name.StartsWith("fc.", StringComparison.Ordinal)
                                               && !name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                .ToList();
            if (absent.Count > 0 || unexpected.Count > 0)
                throw new GraftException(
                    $"the model's stored backbone does not fit a ResNet (missing: {string.Join(", ", absent)}; " +
                    $"unexpected: {string.Join(", ", unexpected)}); the file is damaged");
            network.Freeze();
            network.SetTraining(false);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
        finally
        {
            foreach (var t in state.Values)
                t.Dispose();
        }
    }
}
