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

    /// <summary>Runs <paramref name="body"/> and maps exceptions to messages and exit codes.</summary>
    public static int Run(OutputMode mode, Func<CancellationToken, int> body)
    {
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cancellation.IsCancellationRequested)
                return; // a second Ctrl+C ends the process at once
            e.Cancel = true;
            cancellation.Cancel();
            Console.Error.WriteLine("Stopping after the current step (Ctrl+C again to stop at once)...");
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return body(cancellation.Token);
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
            Error($"{e.Message} Check the paths given to --out and --cache, and that they are writable.");
            if (mode.Verbose)
                Console.Error.WriteLine(e);
            return UserError;
        }
        catch (OperationCanceledException)
        {
            Error("interrupted before a model was written; features extracted so far are cached, so the same command continues from there");
            return UserError;
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
    public static void PrintSummary(RunSummary summary, int warnings, TimeSpan elapsed, TextWriter? writer = null)
    {
        writer ??= Console.Out;
        var skipped = summary.Skipped.Count == 0
            ? "0 skipped"
            : $"{summary.Skipped.Count} skipped ({string.Join(", ", summary.SkippedByKind.Select(kv => $"{kv.Value} {kv.Key}"))})";
        writer.WriteLine($"Summary: {summary.Used} images used, {skipped}, {warnings} warning{(warnings == 1 ? "" : "s")}, {elapsed.TotalSeconds:F1} s");
        foreach (var skip in summary.Skipped)
            writer.WriteLine($"  skipped {skip.Path}: {skip.Reason}");
    }

    /// <summary>Runs with progress bars on a terminal and plain lines otherwise.</summary>
    public static T WithProgress<T>(OutputMode mode, Func<IRunObserver, T> work) =>
        mode.Interactive ? ProgressObserver.Run(work) : work(new PlainObserver(mode));

    /// <summary>Escapes text for Spectre markup.</summary>
    public static string E(string text) => Markup.Escape(text);

}
