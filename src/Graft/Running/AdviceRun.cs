using Graft.Backbones;
using Graft.Backbones.Torch;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Graft.Running;

/// <summary>
/// <c>graft advise</c> as a library call: counts the training images per class, probes the
/// pretrained stages of a ResNet and the same architecture with random weights, and applies
/// <see cref="Advice.Decide"/>.
/// </summary>
public sealed class AdviceRun(ILogger? logger = null, IRunObserver? observer = null)
{
    readonly ILogger _logger = logger ?? NullLogger.Instance;
    readonly IRunObserver _observer = observer ?? Observed.None;

    /// <summary>
    /// Measures <paramref name="request"/>'s data and advises; layer4 is always probed. The
    /// backbone must be a ResNet (the embedded one or a checkpoint), whose stages the rule compares.
    /// </summary>
    public (Advice Advice, ProbeResult Pretrained, ProbeResult Random) Run(
        ProbeRequest request, CancellationToken cancellation = default)
    {
        var data = ProbeRun.Load(request, _logger);
        var probe = new ProbeRun(_logger, _observer);

        ProbeResult pretrained;
        TorchVisionArchitecture architecture;
        BackboneInfo backbone;
        using (var extractor = BackboneCatalog.OpenTorch(request.Backbone, request.CheckpointsDir, _logger))
        {
            architecture = extractor.Network.Architecture;
            backbone = extractor.Backbone;
            if (architecture.Family != "resnet")
                throw new GraftException(
                    $"--backbone {request.Backbone}: graft advise compares a ResNet's stages (layer1 to " +
                    $"layer4), and this is a {architecture.Name}; graft probe --backbone {request.Backbone} " +
                    "compares its layers");
            var layers = ProbeRun.LayersToProbe(request, extractor);
            if (!layers.Contains("layer4"))
                request = request with { Layers = [.. layers, "layer4"] };
            pretrained = probe.Probe(data, extractor, request, " (pretrained)", cancellation);
        }

        ProbeResult random;
        using (var extractor = TorchFeatureExtractor.OpenRandom(architecture, backbone, request.Seed))
            random = probe.Probe(data, extractor, request, " (random weights)", cancellation);

        var smallest = pretrained.TrainImagesPerClass.Values.DefaultIfEmpty(0).Min();
        var smallestVal = pretrained.ValImagesPerClass.Values.DefaultIfEmpty(0).Min();
        var advice = Advice.Decide(smallest, pretrained.Layers, random.Layers, pretrained.ValImages, smallestVal);
        foreach (var warning in advice.Warnings)
            _logger.LogWarning("{Warning}", warning);
        return (advice, pretrained, random);
    }
}
