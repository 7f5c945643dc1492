using System.CommandLine;
using Graft.Cli.Commands;
using Graft.Cli.Terminal;

var root = new RootCommand("Graft: transfer learning for .NET. Reuse an ImageNet-pretrained network on your own image classes.")
{
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    PredictCommand.Create(),
    DemoCommand.Create(),
    ProbeCommand.Create(),
    AdviseCommand.Create(),
    BackbonesCommand.Create(),
};
var parsed = root.Parse(args);
if (args.Length == 0)
    return parsed.Invoke();   // no command: help
return parsed.Errors.Count > 0 ? ParseErrors.Report(parsed) : ParseErrors.ReportValueProblems(parsed) ?? parsed.Invoke();
