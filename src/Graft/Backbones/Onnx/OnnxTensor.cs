using System.Runtime.InteropServices;

namespace Graft.Backbones.Onnx;

/// <summary>An initializer (a stored weight) of an ONNX graph.</summary>
/// <param name="Name">The value name nodes refer to it by.</param>
/// <param name="Dims">Its shape.</param>
/// <param name="DataType">ONNX's element type code (1 is float32).</param>
/// <param name="Floats">The elements for float32 tensors; null for any other element type.</param>
public sealed record OnnxTensor(string Name, IReadOnlyList<long> Dims, int DataType, float[]? Floats)
{
    /// <summary>ONNX's code for float32 elements.</summary>
    public const int Float32 = 1;

    /// <summary>Number of elements the shape holds.</summary>
    public long ElementCount => Dims.Aggregate(1L, (product, d) => product * d);

    /// <summary>The shape written the way messages show it, such as [64, 3, 7, 7].</summary>
    public string ShapeText => $"[{string.Join(", ", Dims)}]";

    internal static OnnxTensor Parse(ReadOnlyMemory<byte> message)
    {
        var reader = new ProtoReader(message);
        var dims = new List<long>();
        var floats = new List<float>();
        ReadOnlyMemory<byte> raw = default;
        var dataType = 0;
        var name = "";
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: reader.ReadInt64s(dims); break;
                case 2: dataType = (int)reader.ReadInt64(); break;
                case 4: reader.ReadFloats(floats); break;
                case 8: name = reader.ReadString(); break;
                case 9: raw = reader.ReadBytes(); break;
                default: reader.Skip(); break;
            }
        }

        float[]? data = null;
        if (dataType == Float32)
        {
            // Exporters write either raw little-endian bytes or the typed float_data list.
            data = raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw.Span).ToArray() : floats.ToArray();
            var expected = dims.Aggregate(1L, (product, d) => product * d);
            if (data.Length != expected)
                throw new InvalidDataException(
                    $"ONNX initializer '{name}' has {data.Length} floats but its shape " +
                    $"[{string.Join(", ", dims)}] needs {expected}");
        }
        return new OnnxTensor(name, dims, dataType, data);
    }
}
