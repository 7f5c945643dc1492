using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Graft.Backbones.Torch;

/// <summary>
/// ResNet's basic block (two 3x3 convolutions and a shortcut). TorchVision's own block is internal,
/// so this one lets <see cref="TorchResNet"/> build ResNets of any depth; its submodules carry
/// torchvision's names (conv1, bn1, conv2, bn2, downsample) so state_dict keys match PyTorch's.
/// </summary>
public sealed class ResNetBlock : Module<Tensor, Tensor>
{
    readonly Module<Tensor, Tensor> conv1;
    readonly Module<Tensor, Tensor> bn1;
    readonly Module<Tensor, Tensor> conv2;
    readonly Module<Tensor, Tensor> bn2;
    readonly Module<Tensor, Tensor>? downsample;

    /// <summary>A block from <paramref name="inPlanes"/> to <paramref name="planes"/> channels.</summary>
    /// <param name="inPlanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first convolution (2 where a stage halves the resolution).</param>
    /// <param name="downsample">The shortcut's projection when the shape changes, else null.</param>
    /// <param name="normLayer">Makes a normalization layer for a channel count; BatchNorm2d by default.</param>
    public ResNetBlock(int inPlanes, int planes, int stride, Module<Tensor, Tensor>? downsample,
        Func<int, Module<Tensor, Tensor>>? normLayer = null) : base(nameof(ResNetBlock))
    {
        normLayer ??= channels => BatchNorm2d(channels);
        conv1 = Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = normLayer(planes);
        conv2 = Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = normLayer(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var hidden = functional.relu(bn1.call(conv1.call(input)));
        var residual = bn2.call(conv2.call(hidden));
        var shortcut = downsample is null ? input : downsample.call(input);
        return scope.MoveToOuter(functional.relu(residual + shortcut));
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            conv1.Dispose();
            bn1.Dispose();
            conv2.Dispose();
            bn2.Dispose();
            downsample?.Dispose();
        }
        base.Dispose(disposing);
    }
}
