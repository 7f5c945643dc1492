using Graft.Backbones.Onnx;
using static TorchSharp.torch;

namespace Graft.Backbones.Torch;

/// <summary>
/// Copies a ResNet's weights out of an ONNX graph by following its structure rather than its
/// (exporter-chosen) tensor names: each convolution's weight, and the BatchNormalization that
/// reads the convolution's output for that layer's scale, bias, mean and variance.
/// </summary>
internal static class OnnxResNetWeights
{
    const float TorchBatchNormEpsilon = 1e-5f;

    public static WeightLoadReport CopyInto(TorchResNet resnet, OnnxGraph graph, string source)
    {
        var targets = resnet.Network.state_dict();
        var convolutions = graph.Nodes.Where(n => n.OpType == "Conv").ToList();
        var stem = convolutions.Where(c => KernelSize(graph, c) == 7).ToList();
        var threeByThree = convolutions.Where(c => KernelSize(graph, c) == 3).ToList();
        var projections = convolutions.Where(c => KernelSize(graph, c) == 1).ToList();

        var blockConvNames = new List<string>();
        var projectionNames = new List<string>();
        for (var stage = 0; stage < 4; stage++)
        {
            var layer = TorchResNet.StageNames[stage];
            for (var block = 0; block < resnet.BlocksPerStage[stage]; block++)
                blockConvNames.AddRange([$"{layer}.{block}.conv1", $"{layer}.{block}.conv2"]);
            if (targets.ContainsKey($"{layer}.0.downsample.0.weight"))
                projectionNames.Add($"{layer}.0.downsample.0");
        }
        Expect(source, "7x7 stem convolution", 1, stem.Count);
        Expect(source, "3x3 convolution", blockConvNames.Count, threeByThree.Count);
        Expect(source, "1x1 shortcut convolution", projectionNames.Count, projections.Count);

        // ONNX requires nodes in topological order, so the k-th 3x3 convolution in the file is the
        // k-th in the network; projections may come before or after their block's first convolution.
        var assignments = new List<(string Module, OnnxNode Conv)> { ("conv1", stem[0]) };
        assignments.AddRange(blockConvNames.Zip(threeByThree));
        assignments.AddRange(projectionNames.Zip(projections));

        var loaded = new Dictionary<string, string>();
        using (no_grad())
        {
            foreach (var (module, conv) in assignments)
            {
                CheckStride(source, module, conv);
                Copy(graph, targets, $"{module}.weight", conv.Inputs[1], loaded, source);

                var norm = graph.FirstConsumer(conv.Outputs[0]);
                if (norm is null || norm.OpType != "BatchNormalization" || norm.Inputs.Count < 5)
                    throw new GraftException(
                        $"{source}: {conv} ({module}) is not followed by a BatchNormalization " +
                        $"(found {norm?.ToString() ?? "nothing"}); the graph is not a ResNet Graft can import");
                var epsilon = norm.Float("epsilon", 1e-5f);
                if (Math.Abs(epsilon - TorchBatchNormEpsilon) > 1e-9f)
                    throw new GraftException(
                        $"{source}: {norm} uses epsilon {epsilon}, but the TorchSharp network uses " +
                        $"{TorchBatchNormEpsilon}");

                var bn = NormName(module);
                string[] fields = ["weight", "bias", "running_mean", "running_var"];
                for (var i = 0; i < fields.Length; i++)
                    Copy(graph, targets, $"{bn}.{fields[i]}", norm.Inputs[i + 1], loaded, source);
            }
        }

        var used = loaded.Values.ToHashSet();
        // num_batches_tracked is a training counter that ONNX has no use for, not a weight.
        var missing = targets.Keys
            .Where(key => !loaded.ContainsKey(key))
            .Where(key => !key.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
            .ToList();
        var unused = graph.Initializers.Keys.Where(name => !used.Contains(name)).Order().ToList();
        return new WeightLoadReport(source, loaded, missing, unused);
    }

    static void Copy(OnnxGraph graph, Dictionary<string, Tensor> targets, string key, string initializer,
        Dictionary<string, string> loaded, string source)
    {
        if (!graph.Initializers.TryGetValue(initializer, out var stored) || stored.Floats is null)
            throw new GraftException($"{source}: '{initializer}' (for {key}) is not a float32 initializer");
        if (!targets.TryGetValue(key, out var target))
            throw new GraftException($"{source}: the TorchSharp network has no tensor named {key}");

        var shape = stored.Dims.ToArray();
        if (!shape.SequenceEqual(target.shape))
            throw new GraftException(
                $"{source}: '{initializer}' has shape {stored.ShapeText} but {key} needs " +
                $"[{string.Join(", ", target.shape)}]");
        using var values = tensor(stored.Floats, shape);
        target.copy_(values);
        loaded[key] = initializer;
    }

    static long KernelSize(OnnxGraph graph, OnnxNode conv) =>
        graph.Initializers.TryGetValue(conv.Inputs[1], out var weight) && weight.Dims.Count == 4
            ? weight.Dims[3]
            : -1;

    static void CheckStride(string source, string module, OnnxNode conv)
    {
        var halves = module == "conv1" || module.Contains(".downsample.")
                     || (module.EndsWith(".0.conv1", StringComparison.Ordinal) && !module.StartsWith("layer1."));
        var expected = halves ? 2 : 1;
        var strides = conv.Ints("strides", [1, 1]);
        if (strides.Any(s => s != expected))
            throw new GraftException(
                $"{source}: {conv} would be {module}, which has stride {expected}, but its strides are " +
                $"[{string.Join(", ", strides)}]");
    }

    static string NormName(string convModule) => convModule switch
    {
        "conv1" => "bn1",
        _ when convModule.EndsWith(".downsample.0", StringComparison.Ordinal) => convModule[..^1] + "1",
        _ => convModule[..^"conv1".Length] + "bn" + convModule[^1],
    };

    static void Expect(string source, string what, int expected, int found)
    {
        if (expected != found)
            throw new GraftException(
                $"{source}: expected {expected} {what}(s) for this ResNet, found {found}; " +
                "the graph is not the layout Graft imports");
    }
}
