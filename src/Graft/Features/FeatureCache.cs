using System.Runtime.InteropServices;
using System.Text;

namespace Graft.Features;

/// <summary>
/// Frozen features on disk, one small file per image, keyed by the SHA-256 of the image's bytes
/// and by the backbone's cache key (backbone, layer, weights and preprocessing). A changed file
/// has a new hash, so it is recomputed; a different backbone or preprocessing has its own folder.
/// A warning the image was decoded with (a truncated file) is kept with its features, so a run
/// from the cache reports it as the first run did.
/// </summary>
public sealed class FeatureCache(string directory)
{
    const uint Magic = 0x47464331; // "GFC1"

    /// <summary>The cache's root folder.</summary>
    public string Directory { get; } = directory;

    /// <summary>The default location: $GRAFT_CACHE, else $XDG_CACHE_HOME/graft, else ~/.cache/graft.</summary>
    public static string DefaultDirectory()
    {
        var explicitDir = Environment.GetEnvironmentVariable("GRAFT_CACHE");
        if (!string.IsNullOrEmpty(explicitDir))
            return explicitDir;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".cache") : xdg, "graft", "features");
    }

    /// <summary>Reads cached features, or null when there are none (or the entry is damaged).</summary>
    public CachedFeatures? TryGet(string backboneKey, string contentHash, int featureDim)
    {
        var path = PathOf(backboneKey, contentHash);
        try
        {
            var bytes = File.ReadAllBytes(path);
            var end = 8 + 4 * featureDim;
            if (bytes.Length < end || BitConverter.ToUInt32(bytes, 0) != Magic
                || BitConverter.ToInt32(bytes, 4) != featureDim)
                return null;
            var features = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(8, 4 * featureDim)).ToArray();
            if (bytes.Length == end)
                return new CachedFeatures(features, null);
            // After the features: the warning's length in bytes, then its UTF-8.
            if (bytes.Length < end + 4 || BitConverter.ToInt32(bytes, end) != bytes.Length - end - 4)
                return null;
            return new CachedFeatures(features, Encoding.UTF8.GetString(bytes, end + 4, bytes.Length - end - 4));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Stores features, and the <paramref name="warning"/> the image was decoded with if any,
    /// atomically (written to a temporary file, then renamed).
    /// </summary>
    public void Put(string backboneKey, string contentHash, float[] features, string? warning = null)
    {
        var path = PathOf(backboneKey, contentHash);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = warning is null ? [] : Encoding.UTF8.GetBytes(warning);
        var end = 8 + 4 * features.Length;
        var bytes = new byte[warning is null ? end : end + 4 + text.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), Magic);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), features.Length);
        MemoryMarshal.AsBytes(features.AsSpan()).CopyTo(bytes.AsSpan(8));
        if (warning is not null)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(end), text.Length);
            text.CopyTo(bytes.AsSpan(end + 4));
        }
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    string PathOf(string backboneKey, string contentHash) =>
        Path.Combine(Directory, backboneKey, contentHash[..2], contentHash + ".f32");
}

/// <summary>Features read from the cache, with the warning their image was decoded with (null: none).</summary>
public sealed record CachedFeatures(float[] Features, string? Warning);
