namespace Graft.Backbones.Onnx;

/// <summary>One attribute of an ONNX node; only the value kinds Graft reads are kept.</summary>
/// <param name="Name">The attribute's name, such as <c>strides</c>.</param>
/// <param name="Float">The value of a FLOAT attribute.</param>
/// <param name="Int">The value of an INT attribute.</param>
/// <param name="Text">The value of a STRING attribute.</param>
/// <param name="Floats">The values of a FLOATS attribute (empty otherwise).</param>
/// <param name="Ints">The values of an INTS attribute (empty otherwise).</param>
public sealed record OnnxAttribute(
    string Name, float? Float, long? Int, string? Text, IReadOnlyList<float> Floats, IReadOnlyList<long> Ints)
{
    internal static OnnxAttribute Parse(ReadOnlyMemory<byte> message)
    {
        var reader = new ProtoReader(message);
        var name = "";
        float? single = null;
        long? integer = null;
        string? text = null;
        var floats = new List<float>();
        var ints = new List<long>();
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: name = reader.ReadString(); break;
                case 2: single = reader.ReadFloat(); break;
                case 3: integer = reader.ReadInt64(); break;
                case 4: text = reader.ReadString(); break;
                case 7: reader.ReadFloats(floats); break;
                case 8: reader.ReadInt64s(ints); break;
                default: reader.Skip(); break;
            }
        }
        return new OnnxAttribute(name, single, integer, text, floats, ints);
    }
}
