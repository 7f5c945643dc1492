using Graft.Backbones;
using Graft.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace Graft.Models;

/// <summary>A trained model: its description and its tensors (head weights, preprocessing data).</summary>
public sealed record GraftModel(ModelMetadata Metadata, IReadOnlyDictionary<string, NamedTensor> Tensors)
{
    const string HeadPrefix = "head.";
    const string MeanImageName = "preprocessing.mean_image";
    const string BackbonePrefix = "backbone.";

    /// <summary>Packs a trained head and its description into a model.</summary>
    public static GraftModel From(Classifier head, ModelMetadata metadata)
    {
        var tensors = new Dictionary<string, NamedTensor>();
        foreach (var (name, value) in head.state_dict())
        {
            using var contiguous = value.detach().contiguous().to_type(ScalarType.Float32);
            tensors[HeadPrefix + name] = new NamedTensor(value.shape, contiguous.data<float>().ToArray());
        }
        var meanImage = metadata.Backbone.Preprocessing.MeanImage;
        if (meanImage is not null)
        {
            var crop = metadata.Backbone.Preprocessing.Resize.Crop;
            tensors[MeanImageName] = new NamedTensor([3, crop, crop], meanImage);
        }
        return new GraftModel(metadata, tensors);
    }

    /// <summary>
    /// A copy that also stores <paramref name="backbone"/>'s weights and batch-norm statistics as
    /// <c>backbone.&lt;torchvision name&gt;</c>, for a fine-tuned model. The unused classifier
    /// <c>fc</c> is left out.
    /// </summary>
    public GraftModel WithBackbone(nn.Module backbone)
    {
        var tensors = new Dictionary<string, NamedTensor>(Tensors);
        foreach (var (name, value) in backbone.state_dict())
        {
            if (name.StartsWith("fc.", StringComparison.Ordinal) || value.dtype == ScalarType.Int64)
                continue; // batch norm's num_batches_tracked counter is not a weight
            using var contiguous = value.detach().contiguous().to_type(ScalarType.Float32);
            tensors[BackbonePrefix + name] = new NamedTensor(value.shape, contiguous.data<float>().ToArray());
        }
        return this with { Tensors = tensors };
    }

    /// <summary>Stored backbone weights by torchvision name; empty when the backbone was frozen.</summary>
    public IReadOnlyDictionary<string, NamedTensor> BackboneWeights => Tensors
        .Where(kv => kv.Key.StartsWith(BackbonePrefix, StringComparison.Ordinal))
        .ToDictionary(kv => kv.Key[BackbonePrefix.Length..], kv => kv.Value);

    /// <summary>The backbone description, with the stored mean image put back in place.</summary>
    public BackboneInfo Backbone
    {
        get
        {
            var backbone = Metadata.Backbone;
            if (!Tensors.TryGetValue(MeanImageName, out var meanImage))
                return backbone;
            return backbone with { Preprocessing = backbone.Preprocessing with { MeanImage = meanImage.Data } };
        }
    }

    static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <summary>Rebuilds the head in eval mode with its stored weights.</summary>
    public Classifier CreateHead()
    {
        var head = new Classifier(Metadata.Head, Metadata.Backbone.FeatureDim, Metadata.Classes.Count);
        var state = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, value) in Tensors.Where(kv => kv.Key.StartsWith(HeadPrefix, StringComparison.Ordinal)))
                state[name[HeadPrefix.Length..]] = tensor(value.Data, value.Shape);
            var (missing, unexpected) = head.load_state_dict(state, strict: false);
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new GraftException(
                    $"the model's head does not match its description (missing: {string.Join(", ", missing)}; " +
                    $"unexpected: {string.Join(", ", unexpected)}); the file is damaged");
        }
        catch (Exception e) when (e is not GraftException)
        {
            head.Dispose();
            throw new GraftException($"the model's head weights do not fit its description ({FirstLine(e.Message)}); " +
                                     "the file is damaged", e);
        }
        finally
        {
            foreach (var t in state.Values)
                t.Dispose();
        }
        head.eval();
        return head;
    }
}
