namespace Graft;

/// <summary>
/// Writes a file whole or not at all: into <c>NAME.PID.tmp</c> beside it, flushed to disk, then
/// renamed over it. A reader never sees half a file; a process killed mid-write leaves only the
/// temporary file, which <see cref="Running.OutputFolder"/> removes on the next run. A link is
/// written through; a device such as /dev/stdout is written to directly.
/// </summary>
public static class AtomicFile
{
    /// <summary>The temporary file through which this process writes <paramref name="path"/>.</summary>
    public static string Temporary(string path) => $"{path}.{Environment.ProcessId}.tmp";

    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>, atomically, making its folder if missing.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        // Through a link its target is written (the link stays); a device or a pipe, such as
        // /dev/stdout, cannot be renamed over, so it is written to directly.
        if (IsDevice(path))
        {
            using var device = new FileStream(path, FileMode.Open, FileAccess.Write);
            write(device);
            return;
        }
        var full = Paths.Real(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = Temporary(full);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The write's own error is the one to report.
            }
            throw;
        }
    }

    /// <summary>True for an existing device or pipe (under /dev or /proc once links are resolved).</summary>
    public static bool IsDevice(string path)
    {
        if (!File.Exists(path))
            return false;
        var full = Paths.Real(path);
        return full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal);
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/>, atomically.</summary>
    public static void WriteText(string path, string text) =>
        Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
}
