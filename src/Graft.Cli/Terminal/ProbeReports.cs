using Graft.Running;
using Spectre.Console;

namespace Graft.Cli.Terminal;

/// <summary>Tables of linear probes and advice for the terminal.</summary>
public static class ProbeReports
{
    /// <summary>Val accuracy and loss per layer of one probe, the best marked.</summary>
    public static void PrintProbe(ProbeResult result)
    {
        var best = result.Best;
        var table = new Table().Title($"linear probe: {Markup.Escape(result.Backbone)}")
            .AddColumns("layer", "features", "train accuracy", "val accuracy", "val loss", "best epoch", "");
        foreach (var probe in result.Layers)
            table.AddRow(probe.Layer, probe.FeatureDim.ToString(), probe.TrainAccuracy.ToString("F4"),
                probe.ValAccuracy.ToString("F4"), probe.ValLoss.ToString("F4"), probe.BestEpoch.ToString(),
                probe == best ? "best" : "");
        AnsiConsole.Write(table);
    }

    /// <summary>Pretrained against random weights per layer, then the situation, strategy and reasons.</summary>
    public static void PrintAdvice(Advice advice, ProbeResult pretrained)
    {
        var images = string.Join(", ", pretrained.TrainImagesPerClass.Select(c => $"{c.Key} {c.Value}"));
        Console.Out.WriteLine($"Training images per class: {images} (val: {pretrained.ValImages})");
        var table = new Table().Title("linear probe: val accuracy (loss)")
            .AddColumns("layer", "pretrained", "random weights", "pretrained - random");
        foreach (var probe in advice.Pretrained)
        {
            var random = advice.Random.FirstOrDefault(r => r.Layer == probe.Layer);
            table.AddRow(probe.Layer, $"{probe.ValAccuracy:F4} ({probe.ValLoss:F4})",
                random is null ? "-" : $"{random.ValAccuracy:F4} ({random.ValLoss:F4})",
                random is null ? "-" : $"{probe.ValAccuracy - random.ValAccuracy:+0.0000;-0.0000;0.0000}");
        }
        AnsiConsole.Write(table);

        Console.Out.WriteLine($"Situation: {advice.Situation}");
        Console.Out.WriteLine($"Strategy: {advice.StrategyText}");
        foreach (var reason in advice.Reasons)
            Console.Out.WriteLine($"  - {reason}");
        foreach (var warning in advice.Warnings)
            Console.Out.WriteLine($"Warning: {warning}");
    }
}
