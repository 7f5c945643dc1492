using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Graft.Running;

/// <summary>
/// The <c>--out</c> folder of a train run (or file of evaluate and predict), checked before any
/// work: not inside the data, not a file, writable (or makeable). A temporary file of <see cref="AtomicFile"/> whose process is gone (a run
/// killed mid-write) is removed.
/// </summary>
public static partial class OutputFolder
{
    /// <summary>
    /// Checks a train run's <paramref name="outDir"/> before any work and removes the temporary
    /// files that killed runs left in it.
    /// </summary>
    /// <exception cref="GraftException">The folder cannot hold a run's output.</exception>
    public static void Prepare(string dataDir, string outDir, ILogger logger)
    {
        if (IsInside(outDir, dataDir))
            throw new GraftException(
                $"--out {outDir} is inside the data folder {dataDir}, where it would be read as a class next " +
                "time; write the model somewhere else");
        if (File.Exists(outDir))
            throw new GraftException($"--out {outDir} is a file; give a folder for the model and reports");
        RequireMakeable(outDir, outDir);
        if (Directory.Exists(outDir))
            RemoveStaleTemporaries(outDir, logger);
    }

    /// <summary>
    /// True when <paramref name="path"/> is <paramref name="folder"/> or inside it, compared with
    /// links resolved (a link into the folder is inside it).
    /// </summary>
    public static bool IsInside(string path, string folder)
    {
        var outer = Path.TrimEndingDirectorySeparator(Paths.Real(folder)) + Path.DirectorySeparatorChar;
        var inner = Path.TrimEndingDirectorySeparator(Paths.Real(path)) + Path.DirectorySeparatorChar;
        return inner.StartsWith(outer, StringComparison.Ordinal);
    }

    /// <summary>
    /// Checks, before any work, that an output file (<c>--out</c> of evaluate and predict) can be
    /// written at <paramref name="path"/>, its missing folders made when it is written, and that it
    /// is not the model and neither one of the images nor inside a folder of them.
    /// </summary>
    /// <param name="path">The output file.</param>
    /// <param name="example">A file name to suggest when a folder is given, such as <c>metrics.json</c>.</param>
    /// <param name="model">The model as given: its folder (beside which output may go) or its file.</param>
    /// <param name="inputs">The image files and folders the command reads.</param>
    /// <exception cref="GraftException">It is a folder, a file stands in its path, it would overwrite or
    /// land among the inputs, or the place is not writable.</exception>
    public static void RequireWritableFile(string path, string example, string model, params string[] inputs)
    {
        var real = Paths.Real(path);
        foreach (var input in inputs)
        {
            var source = Path.TrimEndingDirectorySeparator(Paths.Real(input));
            if (real == source)
                throw new GraftException($"--out {path} is {input}, which this command reads; give another file");
            if (Directory.Exists(input) && real.StartsWith(source + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new GraftException($"--out {path} is inside {input}, which this command reads (it would " +
                                         "overwrite an input or become one); write it somewhere else");
            // The images in a folder may be links to files elsewhere: none of those either.
            if (Directory.Exists(input) && FilesUnder(input).FirstOrDefault(file => Paths.Real(file) == real) is { } image)
                throw new GraftException($"--out {path} is {image} (through a link), an image this command reads; " +
                                         "give another file");
        }
        // The model and the reports its run wrote beside it.
        var modelFolder = Directory.Exists(model) ? model : null;
        var modelFile = modelFolder is null ? model : Path.Combine(modelFolder, "model");
        var kept = modelFolder is null
            ? [modelFile]
            : new[] { "model", "metrics.json", "history.csv", "checkpoint" }.Select(name => Path.Combine(modelFolder, name));
        if (kept.FirstOrDefault(file => Paths.Real(file) == real) is { } own)
            throw new GraftException($"--out {path} is {own}, which belongs to the model; give another file");
        if (Directory.Exists(path))
            throw new GraftException($"--out {path} is a folder; give a file name in it, such as " +
                                     Path.Combine(path, example));
        if (Path.EndsInDirectorySeparator(path))
            throw new GraftException($"--out {path} ends in a slash, so it names a folder; give a file name");
        if (AtomicFile.IsDevice(path))
            return; // written to directly, as /dev/stdout
        RequireMakeable(Path.GetDirectoryName(Path.GetFullPath(path))!, path);
    }

    static IEnumerable<string> FilesUnder(string folder) => Directory.EnumerateFiles(folder, "*",
        new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 16 });

    // A refused run leaves nothing behind, so the folder is not made yet: the nearest folder that
    // exists must take a file, and the rest of the path must not run into a file.
    static void RequireMakeable(string folder, string given)
    {
        var existing = Path.GetFullPath(folder);
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new GraftException($"--out {given}: {existing} is a file, so the folder cannot be made there");
            existing = Path.GetDirectoryName(existing)!;
        }
        try
        {
            var probe = AtomicFile.Temporary(Path.Combine(existing, WriteCheck));
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GraftException($"--out {given}: cannot write in {existing} ({e.Message}); give a place " +
                                     "you can write to", e);
        }
    }

    /// <summary>The files a run writes into its folder through <see cref="AtomicFile"/>.</summary>
    static readonly string[] Written = ["model", "checkpoint", "metrics.json", "history.csv", WriteCheck];

    const string WriteCheck = ".graft-write-check";
    const string LockName = ".graft-lock";

    /// <summary>
    /// Makes the folder and holds it for this run until disposed: a second run into the same
    /// folder meanwhile is refused, rather than the two mixing their model and reports.
    /// </summary>
    /// <exception cref="GraftException">Another process holds the folder.</exception>
    public static IDisposable Claim(string outDir)
    {
        // The folders this makes, innermost first, so a refused run can take them away again.
        var created = new List<string>();
        for (var folder = Path.GetFullPath(outDir); !Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
            created.Add(folder);
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, LockName);
        try
        {
            // FileShare.None takes an exclusive lock that the system drops when the process ends.
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId}\n"));
            stream.Flush();
            return new Claimed(stream, path, created);
        }
        catch (IOException e)
        {
            throw new GraftException($"--out {outDir} is in use by another graft train run (which holds {path}); " +
                                     "wait for it to finish, or give another --out", e);
        }
    }

    // Holds the lock; on release removes it, and the folders this run made where a refusal or an
    // interruption left them empty.
    sealed class Claimed(FileStream stream, string path, List<string> createdFolders) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                File.Delete(path);
                foreach (var folder in createdFolders)
                {
                    if (Directory.EnumerateFileSystemEntries(folder).Any())
                        break;
                    Directory.Delete(folder);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind, the lock file is taken over by the next run.
            }
            stream.Dispose();
        }
    }

    static void RemoveStaleTemporaries(string folder, ILogger logger)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*.tmp"))
        {
            var match = TemporaryName().Match(Path.GetFileName(file));
            if (!match.Success || !Written.Contains(match.Groups[1].Value)
                || !int.TryParse(match.Groups[2].Value, out var pid) || IsRunning(pid))
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

    [GeneratedRegex(@"^(.+)\.(\d+)\.tmp$")]
    private static partial Regex TemporaryName();
}
