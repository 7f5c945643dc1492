using System.Runtime.InteropServices;

namespace Graft.Features;

/// <summary>
/// Frozen features on disk, one small file per image, keyed by the SHA-256 of the image's bytes
/// and by the backbone's cache key (backbone, layer, weights and preprocessing). A changed file
/// has a new hash, so it is recomputed; a different backbone or preprocessing has its own folder.
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
    public float[]? TryGet(string backboneKey, string contentHash, int featureDim)
    {
        var path = PathOf(backboneKey, contentHash);
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length != 8 + 4 * featureDim || BitConverter.ToUInt32(bytes, 0) != Magic
                || BitConverter.ToInt32(bytes, 4) != featureDim)
                return null;
            return MemoryMarshal.Cast<byte, float>(bytes.AsSpan(8)).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Stores features atomically (written to a temporary file, then renamed).</summary>
    public void Put(string backboneKey, string contentHash, float[] features)
    {
        var path = PathOf(backboneKey, contentHash);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[8 + 4 * features.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), Magic);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), features.Length);
        MemoryMarshal.AsBytes(features.AsSpan()).CopyTo(bytes.AsSpan(8));
        var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    string PathOf(string backboneKey, string contentHash) =>
        Path.Combine(Directory, backboneKey, contentHash[..2], contentHash + ".f32");
}
