using Graft.Backbones;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Graft.Running;

/// <summary>
/// <c>graft advise</c> as a library call: counts the training images per class, probes the
/// pretrained stages and the same architecture with random weights, and applies
/// <see cref="Advice.Decide"/>.
/// </summary>
public sealed class AdviceRun(ILogger? logger = null, IRunObserver? observer = null)
{
    readonly ILogger _logger = logger ?? NullLogger.Instance;
    readonly IRunObserver _observer = observer ?? Observed.None;

    /// <summary>Measures <paramref name="request"/>'s data and advises; layer4 is always probed.</summary>
    public (Advice Advice, ProbeResult Pretrained, ProbeResult Random) Run(
        ProbeRequest request, CancellationToken cancellation = default)
    {
        if (!request.Layers.Contains("layer4"))
            request = request with { Layers = [.. request.Layers, "layer4"] };
        var data = ProbeRun.Load(request, _logger);
        var probe = new ProbeRun(_logger, _observer);

        ProbeResult pretrained;
        using (var extractor = TorchFeatureExtractor.OpenEmbeddedResNet18())
            pretrained = probe.Probe(data, extractor, request, " (pretrained)", cancellation);
        ProbeResult random;
        using (var extractor = TorchFeatureExtractor.OpenRandomResNet18(request.Seed))
            random = probe.Probe(data, extractor, request, " (random weights)", cancellation);

        var smallest = pretrained.TrainImagesPerClass.Values.DefaultIfEmpty(0).Min();
        var smallestVal = pretrained.ValImagesPerClass.Values.DefaultIfEmpty(0).Min();
        var advice = Advice.Decide(smallest, pretrained.Layers, random.Layers, pretrained.ValImages, smallestVal);
        foreach (var warning in advice.Warnings)
            _logger.LogWarning("{Warning}", warning);
        return (advice, pretrained, random);
    }
}
