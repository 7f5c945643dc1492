namespace Graft.Data;

/// <summary>Reads one folder of class sub-folders, skipping hidden and system entries.</summary>
public static class ClassFolders
{
    static readonly HashSet<string> SystemNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "Thumbs.db", "desktop.ini", "__MACOSX", "$RECYCLE.BIN", "System Volume Information", "@eaDir",
    };

    /// <summary>True for entries people do not mean as data: dot-files, .ipynb_checkpoints, Thumbs.db, ...</summary>
    public static bool IsHidden(string name) => name.StartsWith('.') || SystemNames.Contains(name);

    /// <summary>
    /// Class name to its files (sorted ordinally, searched recursively). Empty classes are left
    /// out with a warning; loose files and hidden entries are listed in <paramref name="ignored"/>.
    /// </summary>
    public static SortedDictionary<string, List<string>> Read(string folder, List<string> warnings, List<string> ignored)
    {
        var classes = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(entry);
            if (IsHidden(name))
            {
                ignored.Add(entry);
                continue;
            }
            if (!Directory.Exists(entry))
            {
                ignored.Add(entry);
                continue;
            }

            var files = Files(entry, ignored);
            if (files.Count == 0)
            {
                warnings.Add($"{entry}: class folder holds no files; class '{name}' is left out");
                continue;
            }
            classes[name] = files;
        }
        return classes;
    }

    /// <summary>All non-hidden files under <paramref name="folder"/>, recursively, sorted ordinally.</summary>
    public static List<string> Files(string folder, List<string>? ignored = null)
    {
        var result = new List<string>();
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            foreach (var entry in Directory.EnumerateFileSystemEntries(current))
            {
                if (IsHidden(Path.GetFileName(entry)))
                {
                    ignored?.Add(entry);
                    continue;
                }
                if (Directory.Exists(entry))
                {
                    // A linked folder inside a class can point back up the tree (a loop) or into
                    // another class, which would mislabel images: such links are not followed.
                    if (new DirectoryInfo(entry).LinkTarget is not null)
                        ignored?.Add($"{entry} (folder link, not followed)");
                    else
                        pending.Push(entry);
                }
                else
                {
                    result.Add(entry);
                }
            }
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }
}
