namespace Graft.Training;

/// <summary>
/// How the backbone is fine-tuned end to end after the head has been trained on frozen features:
/// which stages learn, their learning rate relative to the head's, the optimizer, the schedule and
/// the augmentation of training images.
/// </summary>
public sealed record FineTuneOptions
{
    /// <summary>The optimizers fine-tuning knows.</summary>
    public static readonly string[] Optimizers = ["adam", "sgd"];

    /// <summary>The augmentations fine-tuning knows.</summary>
    public static readonly string[] Augmentations = ["none", "flip", "crop+flip"];

    /// <summary>How many of the last stages learn (1: layer4, 4: layer1 to layer4).</summary>
    public int Stages { get; init; } = 1;

    /// <summary>True when the stem (conv1, bn1) learns too, as with <c>--finetune all</c>.</summary>
    public bool Stem { get; init; }

    /// <summary>Upper bound on end-to-end epochs (early stopping may end sooner).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The head's learning rate during fine-tuning.</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>The backbone's learning rate as a share of the head's (discriminative rates).</summary>
    public double BackboneLrFactor { get; init; } = 0.1;

    /// <summary><c>adam</c>, or <c>sgd</c> with <see cref="Momentum"/>.</summary>
    public string Optimizer { get; init; } = "adam";

    /// <summary>SGD's momentum.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 penalty on the backbone's weights (the head keeps its own).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Learning-rate schedule over fine-tuning: <c>none</c>, <c>step</c> or <c>cosine</c>.</summary>
    public string Schedule { get; init; } = "cosine";

    /// <summary>StepLR's step in epochs.</summary>
    public int StepSize { get; init; } = 3;

    /// <summary>StepLR's factor.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Epochs without a better val loss before stopping; 0 turns early stopping off.</summary>
    public int Patience { get; init; } = 5;

    /// <summary>Augmentation of training images: <c>none</c>, <c>flip</c> or <c>crop+flip</c>.</summary>
    public string Augment { get; init; } = "crop+flip";

    /// <summary>
    /// <c>train</c>: the unfrozen stages' batch norms use batch statistics and update their running
    /// ones; <c>frozen</c>: every batch norm stays in eval mode, its statistics fixed (its scale and
    /// shift still learn), which suits small data sets and small batches. Frozen by default: on
    /// hymenoptera (245 training images), batch statistics of augmented crops pulled layer4's
    /// running statistics away from those of val images and the val loss rose from the first epoch.
    /// </summary>
    public string BatchNorm { get; init; } = "frozen";

    /// <summary>Seed for shuffling, augmentation and dropout.</summary>
    public int Seed { get; init; }

    /// <summary>Reads <c>last:N</c> (the last N stages) or <c>all</c> (every stage and the stem).</summary>
    public static FineTuneOptions Parse(string text)
    {
        if (text == "all")
            return new FineTuneOptions { Stages = 4, Stem = true };
        if (text is "last:1" or "last:2" or "last:3" or "last:4")
            return new FineTuneOptions { Stages = text[^1] - '0' };
        throw new GraftException(
            $"--finetune '{text}' is not known (use last:1 for layer4, up to last:4, or all)");
    }

    /// <summary>The <c>--finetune</c> text these options came from.</summary>
    public string Describe() => Stem ? "all" : $"last:{Stages}";

    /// <summary>The learning-rate multiplier at 1-based <paramref name="epoch"/>.</summary>
    public double ScheduleFactor(int epoch) => Schedule switch
    {
        "step" => Math.Pow(Gamma, (epoch - 1) / StepSize),
        "cosine" => 0.5 * (1 + Math.Cos(Math.PI * (epoch - 1) / Epochs)),
        _ => 1,
    };

    /// <summary>Checks the values, naming the option that is wrong.</summary>
    public void Validate()
    {
        if (Stages is < 1 or > 4) throw new GraftException($"--finetune: 1 to 4 stages (got {Stages})");
        if (Epochs < 1) throw new GraftException($"--finetune-epochs must be at least 1 (got {Epochs})");
        if (BatchSize < 2)
            throw new GraftException($"--batch-size must be at least 2 when fine-tuning (got {BatchSize})");
        if (!(LearningRate > 0) || LearningRate > 1)
            throw new GraftException($"--finetune-lr must be in (0, 1] (got {LearningRate})");
        if (!(BackboneLrFactor > 0) || BackboneLrFactor > 1)
            throw new GraftException($"--backbone-lr-factor must be in (0, 1] (got {BackboneLrFactor})");
        if (!Optimizers.Contains(Optimizer))
            throw new GraftException($"--optimizer '{Optimizer}' is not known (use adam or sgd)");
        if (!Augmentations.Contains(Augment))
            throw new GraftException($"--augment '{Augment}' is not known (use none, flip or crop+flip)");
        if (BatchNorm is not ("train" or "frozen"))
            throw new GraftException($"--finetune-bn '{BatchNorm}' is not known (use train or frozen)");
        if (Schedule is not ("none" or "step" or "cosine"))
            throw new GraftException($"--schedule '{Schedule}' is not known (use none, step or cosine)");
        if (Patience < 0) throw new GraftException($"--patience must be 0 or more (got {Patience})");
        if (!(WeightDecay >= 0)) throw new GraftException($"weight decay must be 0 or more (got {WeightDecay})");
    }
}

/// <summary>
/// Fine-tuning settings given apart from the stages, as with <c>--strategy auto</c>, which chooses
/// whether and how far to fine-tune; each null keeps the default of the stages chosen.
/// </summary>
public sealed record FineTuneSettings
{
    /// <summary>See <see cref="FineTuneOptions.Epochs"/>.</summary>
    public int? Epochs { get; init; }

    /// <summary>See <see cref="FineTuneOptions.LearningRate"/>.</summary>
    public double? LearningRate { get; init; }

    /// <summary>See <see cref="FineTuneOptions.BackboneLrFactor"/>.</summary>
    public double? BackboneLrFactor { get; init; }

    /// <summary>See <see cref="FineTuneOptions.Optimizer"/>.</summary>
    public string? Optimizer { get; init; }

    /// <summary>See <see cref="FineTuneOptions.Augment"/>.</summary>
    public string? Augment { get; init; }

    /// <summary>See <see cref="FineTuneOptions.BatchNorm"/>.</summary>
    public string? BatchNorm { get; init; }

    /// <summary>See <see cref="FineTuneOptions.BatchSize"/>.</summary>
    public int? BatchSize { get; init; }

    /// <summary>See <see cref="FineTuneOptions.Schedule"/>.</summary>
    public string? Schedule { get; init; }

    /// <summary>See <see cref="FineTuneOptions.Patience"/>.</summary>
    public int? Patience { get; init; }

    /// <summary>True when a setting that only fine-tuning uses is given (batch size, schedule and patience are shared).</summary>
    public bool AnyOwn => Epochs is not null || LearningRate is not null || BackboneLrFactor is not null ||
                          Optimizer is not null || Augment is not null || BatchNorm is not null;

    /// <summary>The options of <paramref name="stages"/> (last:N or all) with these settings and <paramref name="seed"/>.</summary>
    public FineTuneOptions For(string stages, int seed)
    {
        var defaults = FineTuneOptions.Parse(stages);
        return defaults with
        {
            Epochs = Epochs ?? defaults.Epochs,
            LearningRate = LearningRate ?? defaults.LearningRate,
            BackboneLrFactor = BackboneLrFactor ?? defaults.BackboneLrFactor,
            Optimizer = Optimizer ?? defaults.Optimizer,
            Augment = Augment ?? defaults.Augment,
            BatchNorm = BatchNorm ?? defaults.BatchNorm,
            BatchSize = BatchSize ?? defaults.BatchSize,
            Schedule = Schedule ?? defaults.Schedule,
            Patience = Patience ?? defaults.Patience,
            Seed = seed,
        };
    }
}
