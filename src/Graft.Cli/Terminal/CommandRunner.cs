using Graft.Running;
using Spectre.Console;

namespace Graft.Cli.Terminal;

/// <summary>
/// Runs a command's body with the exit codes Graft promises: 0 on success, 1 for a user error
/// (bad input, bad option), 2 for an internal error; no stack trace unless --verbose.
/// </summary>
public static class CommandRunner
{
    /// <summary>Exit code for a user error.</summary>
    public const int UserError = 1;

    /// <summary>Exit code for an internal error.</summary>
    public const int InternalError = 2;

    /// <summary>Exit code for a run stopped with Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    /// <summary>
    /// What to say when Ctrl+C stops a command before it wrote anything: <paramref name="what"/>,
    /// and, when the feature cache is in use, that the same command goes on from the features so far.
    /// </summary>
    public static string InterruptedBefore(string what, bool cached) =>
        $"interrupted before {what}" +
        (cached ? "; the features extracted so far are cached, so the same command goes on from there" : "");

    /// <summary>
    /// Runs <paramref name="body"/> and maps exceptions to messages and exit codes;
    /// <paramref name="interrupted"/> is the message for a Ctrl+C before anything was written, and
    /// <paramref name="atOnce"/> what a second Ctrl+C, which ends the process at once, leaves.
    /// </summary>
    public static int Run(OutputMode mode, Func<CancellationToken, int> body, string interrupted = "interrupted",
        string atOnce = "nothing was written")
    {
        using var cancellation = new CancellationTokenSource();
        bool Stop()
        {
            if (cancellation.IsCancellationRequested)
            {
                Console.Error.WriteLine($"Stopped at once: {atOnce}.");
                return false; // the process ends now, with the signal's exit code
            }
            cancellation.Cancel();
            Console.Error.WriteLine("Stopping after the current step (Ctrl+C or the signal again to stop at once)...");
            return true;
        }
        ConsoleCancelEventHandler onCancel = (_, e) => e.Cancel = Stop();
        Console.CancelKeyPress += onCancel;
        // SIGTERM (timeout, docker stop, kill) stops the same way as Ctrl+C.
        using var onTerminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, context => context.Cancel = Stop());
        try
        {
            return body(cancellation.Token);
        }
        catch (GraftInterruptedException e)
        {
            Error(e.Message);
            return Interrupted;
        }
        catch (GraftException e)
        {
            Error(e.Message);
            if (mode.Verbose)
                Console.Error.WriteLine(e);
            return UserError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Files and folders the user named: missing, not writable, a file where a folder
            // should be. The message names the path.
            Error($"{e.Message} Check the paths on the command line, and that they can be written.");
            if (mode.Verbose)
                Console.Error.WriteLine(e);
            return UserError;
        }
        catch (OperationCanceledException)
        {
            Error(interrupted);
            return Interrupted;
        }
        catch (Exception e)
        {
            Error($"internal error: {e.Message}");
            Console.Error.WriteLine(mode.Verbose
                ? e.ToString()
                : "Run again with --verbose for the details, and please report it.");
            return InternalError;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    static void Error(string message)
    {
        lock (Console.Error)
            Console.Error.WriteLine($"error: {message}");
    }

    /// <summary>Prints the closing summary: images used, skipped by reason, warnings.</summary>
    public static void PrintSummary(RunSummary summary, ConsoleLogger logger, TimeSpan elapsed, TextWriter? writer = null)
    {
        var warnings = logger.Warnings;
        writer ??= Console.Out;
        var skipped = summary.Skipped.Count == 0
            ? "0 skipped"
            : $"{summary.Skipped.Count} skipped ({string.Join(", ", summary.SkippedByKind.Select(kv => $"{kv.Value} {kv.Key}"))})";
        writer.WriteLine($"Summary: {Counted.Of(summary.Used, "image")} used, {skipped}, {Counted.Of(warnings, "warning")}" +
                         $"{(logger.Quiet && warnings > 0 ? " (--quiet hides them)" : "")}, {elapsed.TotalSeconds:F1} s");
        foreach (var skip in summary.Skipped)
            writer.WriteLine($"  skipped {skip.Path}: {skip.Reason}");
    }

    /// <summary>Runs with progress bars on a terminal and plain lines otherwise.</summary>
    public static T WithProgress<T>(OutputMode mode, Func<IRunObserver, T> work) =>
        mode.Interactive ? ProgressObserver.Run(work) : work(new PlainObserver(mode));

    /// <summary>Escapes text for Spectre markup.</summary>
    public static string E(string text) => Markup.Escape(text);

}
