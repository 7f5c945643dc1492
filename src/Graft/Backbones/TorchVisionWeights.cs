namespace Graft.Backbones;

/// <summary>
/// ImageNet weights that torchvision publishes, under the file name PyTorch saves them as in
/// <c>$TORCH_HOME/hub/checkpoints</c>, with the preprocessing they were evaluated with: torchvision's
/// mean and std, a 224 centre crop, after resizing the shorter side to 256 (IMAGENET1K_V1) or 232
/// (most IMAGENET1K_V2 weights).
/// </summary>
/// <param name="FileName">The file's name, such as <c>vgg16-397923af.pth</c>.</param>
/// <param name="Architecture">torchvision's name of the network, such as <c>vgg16</c>.</param>
/// <param name="Tag">torchvision's name of the weights: IMAGENET1K_V1 or IMAGENET1K_V2.</param>
/// <param name="ResizeTo">The shorter side before the centre crop.</param>
public sealed record TorchVisionWeights(string FileName, string Architecture, string Tag, int ResizeTo)
{
    /// <summary>The preprocessing these weights were evaluated with.</summary>
    public Preprocessing Preprocessing => Preprocessing.TorchVision(ResizeTo);

    /// <summary>The published files, torchvision's default weights of each architecture first.</summary>
    public static IReadOnlyList<TorchVisionWeights> Published { get; } =
    [
        V1("resnet18-f37072fd.pth", "resnet18"),
        V1("resnet34-b627a593.pth", "resnet34"),
        V2("resnet50-11ad3fa6.pth", "resnet50"), V1("resnet50-0676ba61.pth", "resnet50"),
        V2("resnet101-cd907fc2.pth", "resnet101"), V1("resnet101-63fe2227.pth", "resnet101"),
        V2("resnet152-f82ba261.pth", "resnet152"), V1("resnet152-394f9c45.pth", "resnet152"),
        V2("resnext50_32x4d-1a0047aa.pth", "resnext50_32x4d"),
        V1("resnext50_32x4d-7cdf4587.pth", "resnext50_32x4d"),
        V2("resnext101_32x8d-110c445d.pth", "resnext101_32x8d"),
        V1("resnext101_32x8d-8ba56ff5.pth", "resnext101_32x8d"),
        new("resnext101_64x4d-173b62eb.pth", "resnext101_64x4d", "IMAGENET1K_V1", 232),
        V2("wide_resnet50_2-9ba9bcbe.pth", "wide_resnet50_2"),
        V1("wide_resnet50_2-95faca4d.pth", "wide_resnet50_2"),
        V2("wide_resnet101_2-d733dc28.pth", "wide_resnet101_2"),
        V1("wide_resnet101_2-32ee1156.pth", "wide_resnet101_2"),
        V1("vgg11-8a719046.pth", "vgg11"), V1("vgg11_bn-6002323d.pth", "vgg11_bn"),
        V1("vgg13-19584684.pth", "vgg13"), V1("vgg13_bn-abd245e5.pth", "vgg13_bn"),
        V1("vgg16-397923af.pth", "vgg16"), V1("vgg16_bn-6c64b313.pth", "vgg16_bn"),
        V1("vgg19-dcbb9e9d.pth", "vgg19"), V1("vgg19_bn-c79401a0.pth", "vgg19_bn"),
        V1("alexnet-owt-7be5be79.pth", "alexnet"),
        V2("mobilenet_v2-7ebf99e0.pth", "mobilenet_v2"), V1("mobilenet_v2-b0353104.pth", "mobilenet_v2"),
    ];

    /// <summary>The published weights saved under <paramref name="fileName"/>, or null.</summary>
    public static TorchVisionWeights? ForFile(string fileName) =>
        Published.FirstOrDefault(w => string.Equals(w.FileName, fileName, StringComparison.Ordinal));

    /// <summary>The published weights of <paramref name="architecture"/>, torchvision's default first.</summary>
    public static IReadOnlyList<TorchVisionWeights> Of(string architecture) =>
        Published.Where(w => w.Architecture == architecture).ToList();

    static TorchVisionWeights V1(string fileName, string architecture) =>
        new(fileName, architecture, "IMAGENET1K_V1", 256);

    static TorchVisionWeights V2(string fileName, string architecture) =>
        new(fileName, architecture, "IMAGENET1K_V2", 232);
}
