using System.CommandLine;
using System.Diagnostics;
using Graft.Cli.Terminal;
using Graft.Running;

namespace Graft.Cli.Commands;

/// <summary>
/// <c>graft advise DATA</c>: measures the data set and names its transfer-learning situation and
/// the strategy that suits it.
/// </summary>
public static class AdviseCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var options = new ProbeOptions();
        var command = new Command("advise",
            "Measure images per class and pretrained against random features per layer; recommend a strategy");
        options.AddTo(command);
        command.SetAction(parsed =>
        {
            var mode = options.Mode(parsed);
            return CommandRunner.Run(mode, cancellation =>
            {
                var request = options.Request(parsed);
                var clock = Stopwatch.StartNew();
                var logger = new ConsoleLogger(mode);
                var (advice, pretrained, _) = CommandRunner.WithProgress(mode,
                    observer => new AdviceRun(logger, observer).Run(request, cancellation));

                ProbeReports.PrintAdvice(advice, pretrained);
                CommandRunner.PrintSummary(pretrained.Summary, logger, clock.Elapsed);
                return 0;
            }, CommandRunner.InterruptedBefore("the advice was printed", !options.Request(parsed).NoCache));
        });
        return command;
    }
}
