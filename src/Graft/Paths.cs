using System.Runtime.InteropServices;

namespace Graft;

/// <summary>Paths compared as the file system sees them.</summary>
internal static class Paths
{
    /// <summary>
    /// <paramref name="path"/> made absolute with every link resolved (realpath(3)) as far as it
    /// exists; the part that does not exist yet as given.
    /// </summary>
    public static string Real(string path)
    {
        var full = Path.GetFullPath(path);
        var existing = full;
        while (!Directory.Exists(existing) && !File.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
            existing = parent;
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return full;
        var resolved = realpath(existing, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
            return full;
        try
        {
            var rest = Path.GetRelativePath(existing, full);
            return Path.Join(Marshal.PtrToStringUTF8(resolved)!, rest == "." ? "" : rest);
        }
        finally
        {
            free(resolved);
        }
    }

    [DllImport("libc", SetLastError = true)]
    static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    static extern void free(IntPtr pointer);
}
