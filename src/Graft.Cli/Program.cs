using System.CommandLine;
using Graft.Cli.Commands;

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
return root.Parse(args).Invoke();
