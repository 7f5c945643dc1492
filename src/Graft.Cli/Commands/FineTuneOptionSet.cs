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
    /// --patience and --seed apply to fine-tuning too when given.
    /// </summary>
    public FineTuneOptions? Read(ParseResult parsed, TrainOptions head, int? batchSize, string? schedule, int? patience)
    {
        var text = parsed.GetValue(_fineTune);
        if (text is null)
        {
            var stray = new Option[] { _epochs, _lr, _factor, _optimizer, _augment, _batchNorm }
                .FirstOrDefault(option => parsed.GetResult(option) is not null);
            if (stray is not null)
                throw new GraftException($"{stray.Name} applies to fine-tuning; give --finetune last:N or all as well");
            return null;
        }

        var defaults = FineTuneOptions.Parse(text);
        return defaults with
        {
            Epochs = parsed.GetValue(_epochs) ?? defaults.Epochs,
            LearningRate = parsed.GetValue(_lr) ?? defaults.LearningRate,
            BackboneLrFactor = parsed.GetValue(_factor) ?? defaults.BackboneLrFactor,
            Optimizer = parsed.GetValue(_optimizer) ?? defaults.Optimizer,
            Augment = parsed.GetValue(_augment) ?? defaults.Augment,
            BatchNorm = parsed.GetValue(_batchNorm) ?? defaults.BatchNorm,
            BatchSize = batchSize ?? defaults.BatchSize,
            Schedule = schedule ?? defaults.Schedule,
            Patience = patience ?? defaults.Patience,
            Seed = head.Seed,
        };
    }
}
