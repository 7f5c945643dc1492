using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Graft.Heads;

/// <summary>
/// A head on frozen features: standardises them with the training set's mean and standard
/// deviation (stored with the weights), then a linear layer, an MLP or a linear SVM gives logits.
/// </summary>
public sealed class Classifier : Module<Tensor, Tensor>
{
    readonly Module<Tensor, Tensor> net;
    readonly Tensor mean;
    readonly Tensor std;

    /// <summary>Builds an untrained head.</summary>
    public Classifier(HeadSpec spec, int inputDim, int classCount) : base("classifier")
    {
        Spec = spec;
        InputDim = inputDim;
        ClassCount = classCount;
        mean = zeros(inputDim);
        std = ones(inputDim);
        net = Build(spec, inputDim, classCount);
        RegisterComponents();
    }

    /// <summary>The head's kind and sizes.</summary>
    public HeadSpec Spec { get; }

    /// <summary>Feature length.</summary>
    public int InputDim { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The most weights a head may have (400 MB of float32).</summary>
    public const long MaxHeadWeights = 100_000_000;

    /// <summary>The smallest spread a feature is standardised with, as a share of the mean spread.</summary>
    public const double MinSpreadShare = 0.1;

    /// <summary>Sets the standardisation from training features [n, d].</summary>
    public void SetStandardisation(Tensor features)
    {
        using var scope = NewDisposeScope();
        mean.copy_(features.mean([0]));
        var spread = features.std(0, unbiased: false);
        // A feature nearly constant over a small training set would be multiplied by up to 1e6,
        // so that one val image's value swamps its logits (val losses in the thousands on two
        // training images); no spread counts as less than a tenth of the average feature's.
        var floor = Math.Max(1e-6, MinSpreadShare * spread.mean().item<float>());
        std.copy_(spread.clamp_min(floor));
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor features)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(net.forward((features - mean) / std));
    }

    /// <summary>The training loss of this head for logits and integer targets.</summary>
    public Tensor Loss(Tensor logits, Tensor targets) => Spec.Kind switch
    {
        "svm" => MultiClassHinge(logits, targets),
        "mlp" => functional.nll_loss(functional.log_softmax(logits, 1), targets),
        _ => functional.cross_entropy(logits, targets),
    };

    /// <summary>Crammer-Singer-style multi-class hinge, averaged like PyTorch's multi_margin_loss.</summary>
    static Tensor MultiClassHinge(Tensor scores, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var correct = scores.gather(1, targets.unsqueeze(1));
        var margins = (scores - correct + 1).clamp_min(0);
        var notTarget = ones_like(margins).scatter_(1, targets.unsqueeze(1), zeros_like(correct));
        var loss = (margins * notTarget).sum(1).div(scores.shape[1]).mean();
        return scope.MoveToOuter(loss);
    }

    static Module<Tensor, Tensor> Build(HeadSpec spec, int inputDim, int classCount)
    {
        if (spec.Kind != "mlp")
            return Sequential(("0", Linear(inputDim, classCount)));

        // Sizes that cannot fit are refused here, before libtorch fails to allocate them.
        long weights = 0;
        var from = (long)inputDim;
        foreach (var to in spec.Hidden.Append(classCount))
        {
            weights += from * to;
            from = to;
        }
        if (weights > MaxHeadWeights)
            throw new GraftException(
                $"--hidden {string.Join(',', spec.Hidden)}: the head would have {weights / 1e6:F0} million weights " +
                $"on {inputDim} features ({weights * 4 / 1e9:F1} GB, and several times that to train); " +
                $"keep it under {MaxHeadWeights / 1_000_000} million");

        var layers = new List<(string, Module<Tensor, Tensor>)>();
        var width = inputDim;
        foreach (var hidden in spec.Hidden)
        {
            layers.Add(($"{layers.Count}", Linear(width, hidden)));
            layers.Add(($"{layers.Count}", ReLU()));
            layers.Add(($"{layers.Count}", Dropout(spec.Dropout)));
            width = hidden;
        }
        layers.Add(($"{layers.Count}", Linear(width, classCount)));
        return Sequential(layers);
    }
}
