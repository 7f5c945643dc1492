using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Graft.Running;

/// <summary>
/// The <c>--out</c> folder of a train run, checked before any work: not inside the data, not a
/// file, writable (or makeable). A temporary file of <see cref="AtomicFile"/> whose process is gone (a run
/// killed mid-write) is removed.
/// </summary>
internal static partial class OutputFolder
{
    /// <exception cref="GraftException">The folder cannot hold a run's output.</exception>
    public static void Prepare(string dataDir, string outDir, ILogger logger)
    {
        var data = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDir)) + Path.DirectorySeparatorChar;
        var output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir)) + Path.DirectorySeparatorChar;
        if (output.StartsWith(data, StringComparison.Ordinal))
            throw new GraftException(
                $"--out {outDir} is inside the data folder {dataDir}, where it would be read as a class next " +
                "time; write the model somewhere else");
        if (File.Exists(outDir))
            throw new GraftException($"--out {outDir} is a file; give a folder for the model and reports");
        // A refused run leaves nothing behind, so the folder is not made yet: the nearest folder
        // that exists must take a file, and the rest of the path must not run into a file.
        var existing = Path.GetFullPath(outDir);
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new GraftException($"--out {outDir}: {existing} is a file, so the folder cannot be made there");
            existing = Path.GetDirectoryName(existing)!;
        }
        try
        {
            var probe = AtomicFile.Temporary(Path.Combine(existing, ".graft-write-check"));
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GraftException($"--out {outDir}: cannot write in {existing} ({e.Message}); give a folder " +
                                     "you can write to", e);
        }
        if (Directory.Exists(outDir))
            RemoveStaleTemporaries(outDir, logger);
    }

    static void RemoveStaleTemporaries(string folder, ILogger logger)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*.tmp"))
        {
            var match = TemporaryName().Match(Path.GetFileName(file));
            if (!match.Success || !int.TryParse(match.Groups[1].Value, out var pid) || IsRunning(pid))
                continue;
            try
            {
                File.Delete(file);
                logger.LogDebug("Removed {File}, left by an interrupted run", file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Could not remove {File}, left by an interrupted run: {Reason}", file, e.Message);
            }
        }
    }

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^.+\.(\d+)\.tmp$")]
    private static partial Regex TemporaryName();
}
