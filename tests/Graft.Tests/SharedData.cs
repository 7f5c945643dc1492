namespace Graft.Tests;

/// <summary>Finds ../shared beside the checkout (the real images and PyTorch fixtures).</summary>
public static class SharedData
{
    static readonly Lazy<string?> Root = new(FindRoot);

    /// <summary>True when CI=true: missing shared data is then a failure, not a skip.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The shared folder, or null.</summary>
    public static string? Folder => Root.Value;

    /// <summary>A path under ../shared/data; fails with a clear message when it is absent.</summary>
    public static string Data(string relative) => Path.Combine(Require(), "data", relative);

    /// <summary>A path under ../shared/fixtures.</summary>
    public static string Fixture(string relative) => Path.Combine(Require(), "fixtures", relative);

    static string Require() =>
        Root.Value ?? throw new InvalidOperationException(
            "../shared (real images and fixtures) was not found beside the checkout; CI needs it");

    static string? FindRoot()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("GRAFT_SHARED");
        if (!string.IsNullOrEmpty(explicitRoot) && Directory.Exists(explicitRoot))
            return explicitRoot;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Graft.slnx")))
            {
                var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                return Directory.Exists(Path.Combine(shared, "data")) ? shared : null;
            }
        }
        return null;
    }
}

/// <summary>A fact that needs ../shared: skipped with the reason when it is absent, run (and failing) when CI=true.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    /// <summary>Sets the skip reason when the shared data is missing outside CI.</summary>
    public SharedDataFactAttribute()
    {
        if (SharedData.Folder is null && !SharedData.InCi)
            Skip = "../shared/data not found beside the checkout (set GRAFT_SHARED to its folder)";
    }
}

/// <summary>A theory that needs ../shared, like <see cref="SharedDataFactAttribute"/>.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets the skip reason when the shared data is missing outside CI.</summary>
    public SharedDataTheoryAttribute()
    {
        if (SharedData.Folder is null && !SharedData.InCi)
            Skip = "../shared/data not found beside the checkout (set GRAFT_SHARED to its folder)";
    }
}
