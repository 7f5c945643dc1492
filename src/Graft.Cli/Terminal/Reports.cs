using Graft.Evaluation;
using Spectre.Console;

namespace Graft.Cli.Terminal;

/// <summary>Tables of metrics for the terminal.</summary>
public static class Reports
{
    /// <summary>Accuracy and loss of each split.</summary>
    public static void PrintSplits(RunMetrics metrics)
    {
        var table = new Table().AddColumns("split", "images", "accuracy", "loss");
        void Row(string name, SplitMetrics? split)
        {
            if (split is not null)
                table.AddRow(name, split.Images.ToString(), split.Accuracy.ToString("F4"), split.Loss.ToString("F4"));
        }
        Row("train", metrics.Train);
        Row("val", metrics.Val);
        Row("test", metrics.Test);
        AnsiConsole.Write(table);
    }

    /// <summary>Per-class accuracy and the confusion matrix of one split.</summary>
    public static void PrintPerClass(string name, SplitMetrics split)
    {
        var classes = split.PerClass.Keys.ToList();
        var table = new Table().Title($"{Markup.Escape(name)}: per class (rows: true class, columns: predicted)");
        table.AddColumn("class");
        table.AddColumn("correct/total");
        table.AddColumn("accuracy");
        foreach (var c in classes)
            table.AddColumn(Markup.Escape(c));
        for (var i = 0; i < classes.Count; i++)
        {
            var metrics = split.PerClass[classes[i]];
            var cells = new List<string>
            {
                Markup.Escape(classes[i]), $"{metrics.Correct}/{metrics.Total}",
                metrics.Accuracy is { } a ? a.ToString("F4") : "-",
            };
            cells.AddRange(split.Confusion[i].Select(n => n.ToString()));
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
    }
}
