using static TorchSharp.torch;

namespace Graft.Backbones.Torch;

/// <summary>
/// A torchvision network in TorchSharp used as a backbone: it gives the pooled features of the
/// layers its <see cref="Architecture"/> names, from one forward pass, without its classifier.
/// </summary>
public abstract class BackboneNetwork : IDisposable
{
    /// <summary>Wraps <paramref name="module"/>, built as <paramref name="architecture"/> says.</summary>
    protected BackboneNetwork(TorchVisionArchitecture architecture, nn.Module<Tensor, Tensor> module)
    {
        Architecture = architecture;
        Module = module;
    }

    /// <summary>What the network is: its name, layers and classifier.</summary>
    public TorchVisionArchitecture Architecture { get; }

    /// <summary>The whole TorchSharp module, classifier included, with torchvision's state_dict names.</summary>
    public nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>Where the weights came from and which tensors matched; null for a fresh network.</summary>
    public WeightLoadReport? LoadReport { get; internal set; }

    /// <summary>
    /// Runs the network once, as far as the deepest of <paramref name="layers"/>, and returns each
    /// one's features, [N, <see cref="TorchVisionArchitecture.FeatureDim"/>]; images are [N, 3, H, W].
    /// Gradients flow when the caller allows them.
    /// </summary>
    public abstract Dictionary<string, Tensor> LayerFeatures(
        Tensor images, IReadOnlyCollection<string> layers);

    /// <summary>Puts every module in evaluation mode (batch norms use their running statistics).</summary>
    public virtual void Eval() => Module.eval();

    /// <inheritdoc />
    public void Dispose()
    {
        Module.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Fails unless <paramref name="images"/> is a batch of three-channel images.</summary>
    protected static void RequireImages(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException(
                $"expected images as [N, 3, H, W]; got [{string.Join(", ", images.shape)}]", nameof(images));
    }

    /// <summary>Fails unless every one of <paramref name="layers"/> is a layer of this network.</summary>
    protected void RequireLayers(IReadOnlyCollection<string> layers)
    {
        foreach (var layer in layers)
            Architecture.FeatureDim(layer);
    }
}
