using System.CommandLine;
using Graft.Training;

namespace Graft.Cli.Commands;

/// <summary>The options of <c>graft train</c> that fine-tune the backbone after the head.</summary>
public sealed class FineTuneOptionSet
{
    readonly Option<string?> _fineTune = new("--finetune")
    {
        Description = "After the head, fine-tune the backbone end to end: last:N (the last N stages, "
                      + "last:1 = layer4) or all",
        HelpName = "last:N|all",
    };
    readonly Option<int?> _epochs = new("--finetune-epochs") { Description = "Most fine-tuning epochs (default 10)" };
    readonly Option<double?> _lr = new("--finetune-lr")
    {
        Description = "Head learning rate while fine-tuning (default 1e-4)",
    };
    readonly Option<double?> _factor = new("--backbone-lr-factor")
    {
        Description = "Backbone learning rate as a share of the head's while fine-tuning (default 0.1)",
    };
    readonly Option<string?> _optimizer = new("--optimizer")
    {
        Description = "Fine-tuning optimizer: adam or sgd (momentum 0.9) (default adam)",
    };
    readonly Option<string?> _augment = new("--augment")
    {
        Description = "Fine-tuning augmentation of training images: none, flip or crop+flip (default crop+flip)",
    };
    readonly Option<string?> _batchNorm = new("--finetune-bn")
    {
        Description = "Batch norm of the unfrozen stages while fine-tuning: train (batch statistics) or "
                      + "frozen (running statistics kept; default frozen)",
    };
    readonly Option<bool> _resume = new("--resume")
    {
        Description = "Continue an interrupted fine-tuning run from the checkpoint in --out",
    };

    /// <summary>Makes the options.</summary>
    public static FineTuneOptionSet Create() => new();

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        Option[] all = [_fineTune, _epochs, _lr, _factor, _optimizer, _augment, _batchNorm, _resume];
        foreach (var option in all)
            command.Options.Add(option);
    }

    /// <summary>True when --resume was given.</summary>
    public bool Resume(ParseResult parsed) => parsed.GetValue(_resume);

    /// <summary>
    /// The fine-tuning options, or null without --finetune. The shared --batch-size, --schedule,
    /// --patience and --seed apply to fine-tuning too when given. With <paramref name="auto"/>
    /// (--strategy auto, which chooses the stages) the settings are read without --finetune.
    /// </summary>
    public (FineTuneOptions? Options, FineTuneSettings Settings) Read(ParseResult parsed, TrainOptions head,
        int? batchSize, string? schedule, int? patience, bool auto)
    {
        var settings = new FineTuneSettings
        {
            Epochs = parsed.GetValue(_epochs),
            LearningRate = parsed.GetValue(_lr),
            BackboneLrFactor = parsed.GetValue(_factor),
            Optimizer = parsed.GetValue(_optimizer),
            Augment = parsed.GetValue(_augment),
            BatchNorm = parsed.GetValue(_batchNorm),
            BatchSize = batchSize,
            Schedule = schedule,
            Patience = patience,
        };
        var text = parsed.GetValue(_fineTune);
        if (text is not null)
            return (settings.For(text, head.Seed), settings);
        var stray = new Option[] { _epochs, _lr, _factor, _optimizer, _augment, _batchNorm }
            .FirstOrDefault(option => parsed.GetResult(option) is not null);
        if (stray is not null && !auto)
            throw new GraftException($"{stray.Name} applies to fine-tuning; give --finetune last:N or all as well " +
                                     "(or --strategy auto, which fine-tunes where the data calls for it)");
        return (null, settings);
    }
}
