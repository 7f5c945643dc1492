using System.Collections;
using System.Reflection;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Graft.Backbones.Torch;

/// <summary>
/// A state_dict written by PyTorch's <c>torch.save</c>, opened for its names and shapes first and
/// read one tensor at a time, so a 550 MB VGG checkpoint is never held twice in memory. A
/// <c>module.</c> prefix (DataParallel's) is removed from every name.
/// </summary>
internal sealed class StateDictFile : IDisposable
{
    // DataParallel and DistributedDataParallel save their wrapped model under this name.
    const string WrapperPrefix = "module.";

    readonly FileStream _stream;
    readonly Dictionary<string, object> _entries = new();
    readonly Dictionary<string, long[]> _shapes = new();

    StateDictFile(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Every tensor's name (without a <c>module.</c> prefix) and shape.</summary>
    public IReadOnlyDictionary<string, long[]> Shapes => _shapes;

    /// <summary>Opens <paramref name="path"/> and reads its names and shapes.</summary>
    /// <exception cref="GraftException">The file is missing or not a state_dict saved by torch.save.</exception>
    public static StateDictFile Open(string path)
    {
        if (!File.Exists(path))
            throw new GraftException($"{path}: checkpoint not found");

        var stream = File.OpenRead(path);
        var file = new StateDictFile(path, stream);
        try
        {
            file.RequireTorchSave();
            file.ReadIndex();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads the tensor named <paramref name="key"/>; the caller disposes it.</summary>
    public Tensor Read(string key)
    {
        var entry = _entries[key];
        if (entry is Tensor tensor)
            return tensor.alias();
        try
        {
            return (Tensor)LazyRead!.Invoke(entry, null)!;
        }
        catch (TargetInvocationException e)
        {
            throw new GraftException(
                $"{Path}: cannot read {key} ({e.InnerException?.Message ?? e.Message}); is the file complete?", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var entry in _entries.Values)
            (entry as IDisposable)?.Dispose();
        _stream.Dispose();
    }

    // TorchSharp.PyBridge 1.4.4 can unpickle the index without the data (skipTensorRead); each
    // entry is then an internal object with a Shape and a ReadTensorFromStream(). Reflection
    // reaches them; should a later PyBridge rename them, the whole file is read instead.
    static readonly Type? LazyEntry = typeof(PyTorchUnpickler).GetNestedType(
        "TensorConstructorArgs", BindingFlags.NonPublic | BindingFlags.Public);
    static readonly PropertyInfo? LazyShape = LazyEntry?.GetProperty("Shape");
    static readonly MethodInfo? LazyRead = LazyEntry?.GetMethod("ReadTensorFromStream", Type.EmptyTypes);

    // torch.save writes a zip archive (PyTorch 1.6 on) or, before that, a bare pickle stream.
    // Anything else is named for what it is, rather than left to the unpickler's guesses.
    void RequireTorchSave()
    {
        Span<byte> head = stackalloc byte[8];
        var read = _stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        _stream.Position = 0;
        head = head[..read];
        if (head.StartsWith([(byte)0x80]))
            return;
        if (head.StartsWith("PK\x03\x04"u8))
        {
            // torch.save's archive holds ARCHIVE/data.pkl; another zip is no checkpoint.
            bool pickled;
            try
            {
                using var zip = new System.IO.Compression.ZipArchive(_stream, System.IO.Compression.ZipArchiveMode.Read,
                    leaveOpen: true);
                pickled = zip.Entries.Any(entry => entry.FullName.EndsWith("data.pkl", StringComparison.Ordinal));
            }
            catch (InvalidDataException)
            {
                pickled = false;
            }
            _stream.Position = 0;
            if (pickled)
                return;
            throw new GraftException($"{Path} is a zip archive but not a checkpoint written by torch.save (it holds " +
                                     "no data.pkl). --backbone takes a torchvision .pth state_dict or an .onnx model " +
                                     "(see graft backbones)");
        }
        var what = head.StartsWith("GRAFTMDL"u8)
            ? "is a model trained by Graft, not a pretrained network; give it to graft evaluate or graft predict"
            : head.StartsWith("GRAFTCKP"u8)
                ? "is a Graft fine-tuning checkpoint, not a pretrained network; repeat the train command that " +
                  "wrote it with --resume to continue that run"
                : read == 0
                    ? "is empty"
                    : "is not a checkpoint written by torch.save (which writes a zip archive)";
        throw new GraftException(
            $"{Path} {what}. --backbone takes a torchvision .pth state_dict or an .onnx model (see graft backbones)");
    }

    void ReadIndex()
    {
        var lazy = LazyShape is not null && LazyRead is not null;
        var table = Unpickle(lazy);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string name || entry.Value is null)
                continue;
            var key = name.StartsWith(WrapperPrefix, StringComparison.Ordinal)
                ? name[WrapperPrefix.Length..]
                : name;
            long[]? shape = entry.Value switch
            {
                Tensor tensor => tensor.shape,
                var other when other.GetType() == LazyEntry => (long[]?)LazyShape!.GetValue(other),
                _ => null,
            };
            if (shape is null)
                continue;
            _entries[key] = entry.Value;
            _shapes[key] = shape;
        }
        if (_shapes.Count == 0)
            throw new GraftException(
                $"{Path}: holds no tensors; is it a whole pickled model rather than a state_dict?");
    }

    Hashtable Unpickle(bool lazy)
    {
        try
        {
            return lazy
                ? PyTorchUnpickler.UnpickleStateDict(_stream, leaveOpen: true, skipTensorRead: true)
                : PyTorchUnpickler.UnpickleStateDict(_stream, leaveOpen: true);
        }
        catch (NotImplementedException e) when (e.Message.Contains("old PyTorch format"))
        {
            throw new GraftException(
                $"{Path}: saved in PyTorch's legacy format (before 1.6), which TorchSharp.PyBridge cannot read; " +
                "in Python, torch.save(torch.load(PATH), NEW_PATH) writes it in the current format", e);
        }
        catch (Exception e) when (e is not GraftException)
        {
            throw new GraftException(
                $"{Path}: not a state_dict saved by torch.save ({e.GetType().Name}: {e.Message})", e);
        }
    }
}
