using System.Diagnostics;

namespace Graft.Tests;

/// <summary>Starts the real command-line tool (graft.dll beside the tests) as a separate process.</summary>
public static class GraftProcess
{
    /// <summary>What a finished run printed and returned.</summary>
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    /// <summary>Starts graft with redirected output; <paramref name="threads"/> caps libtorch's threads.</summary>
    public static Process Start(int? threads, params string[] args) => Start(threads, null, args);

    /// <summary>Starts graft with redirected output and <paramref name="environment"/> added to its own.</summary>
    public static Process Start(
        int? threads, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        if (threads is { } n)
        {
            start.Environment["OMP_NUM_THREADS"] = n.ToString();
            start.Environment["MKL_NUM_THREADS"] = n.ToString();
        }
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "graft.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    /// <summary>Runs graft to the end, failing the test when it takes longer than <paramref name="timeout"/>.</summary>
    public static Outcome Run(TimeSpan timeout, params string[] args) => Run(timeout, null, args);

    /// <summary>As <see cref="Run(TimeSpan, string[])"/>, with <paramref name="environment"/> added.</summary>
    public static Outcome Run(
        TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var process = Start(threads: null, environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(timeout), $"graft did not finish in {timeout.TotalMinutes} minutes");
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result);
    }
}
