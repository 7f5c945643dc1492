namespace Graft.Training;

/// <summary>How a head is trained.</summary>
public sealed record TrainOptions
{
    /// <summary>Upper bound on epochs (early stopping may end sooner).</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>L2 penalty on the weights.</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Learning-rate schedule: <c>none</c>, <c>step</c> or <c>cosine</c>.</summary>
    public string Schedule { get; init; } = "none";

    /// <summary>StepLR's step in epochs.</summary>
    public int StepSize { get; init; } = 3;

    /// <summary>StepLR's factor.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Epochs without a better val loss before stopping; 0 turns early stopping off.</summary>
    public int Patience { get; init; } = 10;

    /// <summary>Seed for initialisation, shuffling and dropout.</summary>
    public int Seed { get; init; } = 0;

    /// <summary>Checks the values, naming the option that is wrong.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new GraftException($"--epochs must be at least 1 (got {Epochs})");
        if (BatchSize < 1) throw new GraftException($"--batch-size must be at least 1 (got {BatchSize})");
        // The optimiser works in float32: larger rates overflow inside it rather than diverge visibly.
        if (!(LearningRate > 0 && LearningRate <= 1e37))
            throw new GraftException($"--lr must be greater than 0 and at most 1e37 (got {LearningRate})");
        if (!(WeightDecay >= 0 && WeightDecay <= 1e6)) throw new GraftException($"--weight-decay must be between 0 and 1e6 (got {WeightDecay})");
        if (Patience < 0) throw new GraftException($"--patience must be 0 or more (got {Patience})");
        if (Schedule is not ("none" or "step" or "cosine"))
            throw new GraftException($"--schedule '{Schedule}' is not known (use none, step or cosine)");
    }

    /// <summary>The defaults that suit each head.</summary>
    public static TrainOptions For(string headKind) => headKind switch
    {
        "mlp" => new TrainOptions { Epochs = 30, LearningRate = 1e-3, WeightDecay = 0, Schedule = "step", Patience = 10 },
        "svm" => new TrainOptions { Epochs = 100, LearningRate = 1e-3, WeightDecay = 1e-3 },
        _ => new TrainOptions(),
    };
}
