namespace Graft.Data;

/// <summary>A file that cannot be turned into an image, with a short reason a user can act on.</summary>
public sealed class ImageDecodeException(string path, string kind, string reason)
    : Exception($"{path}: {reason}")
{
    /// <summary>The file that failed.</summary>
    public string Path { get; } = path;

    /// <summary>
    /// The category, for counting: "not an image", "empty file", "too large", "truncated",
    /// "unsupported format", "unreadable".
    /// </summary>
    public string Kind { get; } = kind;

    /// <summary>Why it failed, in a few words.</summary>
    public string Reason { get; } = reason;
}
