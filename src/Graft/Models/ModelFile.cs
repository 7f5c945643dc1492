using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Graft.Models;

/// <summary>
/// The model file: one self-describing file that holds plain data only, so loading it can never
/// run code or construct arbitrary types.
/// </summary>
/// <remarks>
/// Layout (little-endian): the 8 bytes "GRAFTMDL"; the format version (uint32); 4 reserved bytes;
/// the length of the JSON header (uint64); the UTF-8 JSON header (metadata and a directory of
/// tensors: name, shape, offset); the float32 tensor data; and last, the SHA-256 of everything
/// before it, which catches truncated and damaged files. Files are written to a temporary file
/// and renamed, so a crash never leaves half a model behind.
/// </remarks>
public static class ModelFile
{
    /// <summary>The format version this Graft writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Graft's version, stored in every file.</summary>
    public const string GraftVersion = "0.1.0";

    static readonly byte[] Magic = "GRAFTMDL"u8.ToArray();
    const int PreambleLength = 24;
    const int ChecksumLength = 32;

    /// <summary>JSON settings shared by model files and reports: snake_case names.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    sealed record TensorEntry(string Name, long[] Shape, long Offset);

    sealed record Header(ModelMetadata Metadata, List<TensorEntry> Tensors);

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(GraftModel model, string path)
    {
        AtomicFile.Write(path, stream => Write(model, stream));
    }

    /// <summary>Writes <paramref name="model"/> in the model-file layout to <paramref name="stream"/>.</summary>
    public static void Write(GraftModel model, Stream stream)
    {
        var entries = new List<TensorEntry>();
        long offset = 0;
        foreach (var (name, tensor) in model.Tensors)
        {
            entries.Add(new TensorEntry(name, tensor.Shape, offset));
            offset += tensor.Data.Length * 4L;
        }
        var header = JsonSerializer.SerializeToUtf8Bytes(new Header(model.Metadata, entries), Json);
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            void Put(ReadOnlySpan<byte> bytes)
            {
                stream.Write(bytes);
                sha.AppendData(bytes);
            }

            var preamble = new byte[PreambleLength];
            Magic.CopyTo(preamble, 0);
            BinaryPrimitives.WriteInt32LittleEndian(preamble.AsSpan(8), FormatVersion);
            BinaryPrimitives.WriteInt64LittleEndian(preamble.AsSpan(16), header.Length);
            Put(preamble);
            Put(header);
            foreach (var tensor in model.Tensors.Values)
                Put(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
            stream.Write(sha.GetHashAndReset());
        }
    }

    /// <summary>Reads a model file, with a clear <see cref="GraftException"/> for anything that is not a sound one.</summary>
    public static GraftModel Load(string path)
    {
        if (Directory.Exists(path))
            path = Path.Combine(path, "model");
        if (!File.Exists(path))
            throw new GraftException($"{path}: model file not found (give the folder written by 'graft train --out', or its 'model' file)");

        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a model from the bytes of a model file; <paramref name="path"/> names it in messages.</summary>
    public static GraftModel Read(byte[] bytes, string path)
    {
        if (bytes.AsSpan().StartsWith("GRAFTCKP"u8))
            throw new GraftException($"{path}: a fine-tuning checkpoint, not a model; the model is the file " +
                                     "'model' beside it");
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new GraftException($"{path}: not a Graft model file (it does not start with the Graft signature)");
        if (bytes.Length < PreambleLength + ChecksumLength)
            throw new GraftException($"{path}: the model file is truncated ({bytes.Length} bytes); train it again");

        var version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (version > FormatVersion)
            throw new GraftException(
                $"{path}: written in model format {version} by a newer Graft; this Graft ({GraftVersion}) reads " +
                $"format {FormatVersion} and older. Upgrade Graft to use it.");
        if (version < 1)
            throw new GraftException($"{path}: model format {version} is not valid; the file is damaged");

        var body = bytes.AsSpan(0, bytes.Length - ChecksumLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - ChecksumLength)))
            throw new GraftException($"{path}: the model file is damaged or truncated (checksum mismatch); train it again");

        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16));
        if (headerLength <= 0 || PreambleLength + headerLength > body.Length)
            throw new GraftException($"{path}: the model file's header is damaged");

        Header header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(bytes.AsSpan(PreambleLength, (int)headerLength), Json)
                     ?? throw new JsonException("empty header");
        }
        catch (JsonException e)
        {
            throw new GraftException($"{path}: the model file's header cannot be read ({e.Message})", e);
        }

        CheckDescription(path, header.Metadata);
        var data = body[(int)(PreambleLength + headerLength)..];
        var tensors = new Dictionary<string, NamedTensor>();
        foreach (var entry in header.Tensors ?? [])
        {
            if (entry?.Name is null || entry.Shape is null || entry.Shape.Any(d => d < 0))
                throw new GraftException($"{path}: a tensor entry is not valid; the file is damaged");
            var count = entry.Shape.Aggregate(1L, (a, b) => a * b);
            if (count < 0 || entry.Offset < 0 || entry.Offset + count * 4 > data.Length)
                throw new GraftException($"{path}: tensor '{entry.Name}' lies outside the file; the file is damaged");
            var values = MemoryMarshal.Cast<byte, float>(data.Slice((int)entry.Offset, (int)(count * 4))).ToArray();
            tensors[entry.Name] = new NamedTensor(entry.Shape, values);
        }
        return new GraftModel(header.Metadata, tensors);
    }

    // The checksum proves the file is as written, not that what was written makes sense: a
    // hand-edited or foreign file gets a clear error here rather than a crash deep in TorchSharp.
    static void CheckDescription(string path, ModelMetadata? metadata)
    {
        string? problem = null;
        var p = metadata?.Backbone?.Preprocessing;
        if (metadata?.Classes is null || metadata.Backbone is null || metadata.Head is null || p?.Resize is null)
            problem = "its description is incomplete";
        else if (metadata.Classes.Count < 2 || metadata.Classes.Distinct(StringComparer.Ordinal).Count() != metadata.Classes.Count
                 || metadata.Classes.Any(string.IsNullOrEmpty))
            problem = "its class names are not two or more distinct names";
        else if (!Heads.HeadSpec.Kinds.Contains(metadata.Head.Kind))
            problem = $"its head kind '{metadata.Head.Kind}' is not known";
        else if (metadata.Backbone.FeatureDim < 1)
            problem = $"its feature size {metadata.Backbone.FeatureDim} is not valid";
        else if (p.Resize.Mode is not ("crop" or "stretch") || p.Resize.Crop is < 1 or > 4096 || p.Resize.ResizeTo is < 1 or > 8192)
            problem = "its resize settings are not valid";
        else if (p.ChannelOrder is not ("RGB" or "BGR") || p.Mean is not { Length: 3 } || p.Std is not { Length: 3 }
                 || p.Std.Any(s => !(s > 0)) || !float.IsFinite(p.Scale))
            problem = "its preprocessing is not valid";
        if (problem is not null)
            throw new GraftException($"{path}: {problem}; the file is damaged or was not written by Graft");
    }
}
