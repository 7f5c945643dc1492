using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Graft.Models;

namespace Graft.Training;

/// <summary>
/// What a fine-tuning run needs to go on after an interruption: where it stands, the current
/// weights (as a model, description included), the optimizer's state, and the run's data and
/// options, which a resumed run must share. Written after every
/// epoch to a temporary file that is renamed over the old one, so a crash leaves either the
/// previous checkpoint or the new one, never half of one.
/// </summary>
/// <param name="State">The last completed epoch, the best so far, the history.</param>
/// <param name="Model">The current head and backbone weights with the run's description.</param>
/// <param name="OptimizerState">The optimizer's state as TorchSharp serialises it.</param>
/// <param name="Identity">The data and options of the run that wrote the checkpoint.</param>
public sealed record FineTuneCheckpoint(
    FineTuneState State, GraftModel Model, byte[] OptimizerState, RunIdentity Identity)
{
    /// <summary>The checkpoint's file name inside a run's output folder.</summary>
    public const string FileName = "checkpoint";

    static readonly byte[] Magic = "GRAFTCKP"u8.ToArray();
    const int Version = 2;
    const int ChecksumLength = 32;

    /// <summary>Writes the checkpoint to <paramref name="path"/> through a temporary file and a rename.</summary>
    public void Save(string path)
    {
        using var model = new MemoryStream();
        ModelFile.Write(Model, model);
        var state = JsonSerializer.SerializeToUtf8Bytes(State, ModelFile.Json);
        var identity = JsonSerializer.SerializeToUtf8Bytes(Identity, ModelFile.Json);

        AtomicFile.Write(path, stream =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void Put(ReadOnlySpan<byte> bytes)
            {
                stream.Write(bytes);
                sha.AppendData(bytes);
            }

            void PutSection(ReadOnlySpan<byte> bytes)
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
                Put(length);
                Put(bytes);
            }

            var preamble = new byte[16];
            Magic.CopyTo(preamble, 0);
            BinaryPrimitives.WriteInt32LittleEndian(preamble.AsSpan(8), Version);
            Put(preamble);
            PutSection(state);
            PutSection(identity);
            PutSection(OptimizerState);
            PutSection(model.GetBuffer().AsSpan(0, (int)model.Length));
            stream.Write(sha.GetHashAndReset());
        });
    }

    /// <summary>Refuses --resume where there is no checkpoint, before any work.</summary>
    /// <exception cref="GraftException">No checkpoint at <paramref name="path"/>.</exception>
    public static void RequireExists(string path)
    {
        if (!File.Exists(path))
            throw new GraftException(
                $"{path}: no checkpoint to resume from (the run finished, or never completed a fine-tuning " +
                "epoch); run again without --resume");
    }

    /// <summary>Reads a checkpoint, with a clear <see cref="GraftException"/> when it is not a sound one.</summary>
    public static FineTuneCheckpoint Load(string path)
    {
        RequireExists(path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 16 + ChecksumLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new GraftException($"{path}: not a Graft checkpoint; run again without --resume");
        var version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (version != Version)
            throw new GraftException(
                $"{path}: checkpoint version {version}, this Graft reads {Version}; run again without --resume");
        var body = bytes.AsSpan(0, bytes.Length - ChecksumLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - ChecksumLength)))
            throw new GraftException(
                $"{path}: the checkpoint is damaged (checksum mismatch); run again without --resume");

        var offset = 16;
        byte[] Section(ReadOnlySpan<byte> all)
        {
            var length = BinaryPrimitives.ReadInt64LittleEndian(all[offset..]);
            if (length < 0 || offset + 8 + length > all.Length)
                throw new GraftException($"{path}: the checkpoint is damaged; run again without --resume");
            var section = all.Slice(offset + 8, (int)length).ToArray();
            offset += 8 + (int)length;
            return section;
        }

        var state = JsonSerializer.Deserialize<FineTuneState>(Section(body), ModelFile.Json)
                    ?? throw new GraftException($"{path}: the checkpoint's state is empty");
        var identity = JsonSerializer.Deserialize<RunIdentity>(Section(body), ModelFile.Json)
                       ?? throw new GraftException($"{path}: the checkpoint's description of its run is empty");
        var optimizer = Section(body);
        var model = ModelFile.Read(Section(body), path);
        return new FineTuneCheckpoint(state, model, optimizer, identity);
    }
}
