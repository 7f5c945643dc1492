namespace Graft.Backbones.Onnx;

/// <summary>One operator of an ONNX graph, with the names of the values it reads and writes.</summary>
/// <param name="Name">The node's name (may be empty).</param>
/// <param name="OpType">The operator, such as <c>Conv</c> or <c>BatchNormalization</c>.</param>
/// <param name="Inputs">Names of the values read, in the operator's argument order.</param>
/// <param name="Outputs">Names of the values written.</param>
/// <param name="Attributes">The node's attributes by name.</param>
public sealed record OnnxNode(
    string Name,
    string OpType,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>An INTS attribute's values, or <paramref name="fallback"/> when the node lacks it.</summary>
    public IReadOnlyList<long> Ints(string name, IReadOnlyList<long> fallback) =>
        Attributes.TryGetValue(name, out var attribute) ? attribute.Ints : fallback;

    /// <summary>A FLOAT attribute's value, or <paramref name="fallback"/> when the node lacks it.</summary>
    public float Float(string name, float fallback) =>
        Attributes.TryGetValue(name, out var attribute) && attribute.Float is { } value ? value : fallback;

    /// <summary>The node as written in messages: its name (or operator) and first output.</summary>
    public override string ToString() => $"{OpType} '{(Name.Length > 0 ? Name : Outputs.FirstOrDefault())}'";

    internal static OnnxNode Parse(ReadOnlyMemory<byte> message)
    {
        var reader = new ProtoReader(message);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>();
        var name = "";
        var opType = "";
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: inputs.Add(reader.ReadString()); break;
                case 2: outputs.Add(reader.ReadString()); break;
                case 3: name = reader.ReadString(); break;
                case 4: opType = reader.ReadString(); break;
                case 5:
                    var attribute = OnnxAttribute.Parse(reader.ReadBytes());
                    attributes[attribute.Name] = attribute;
                    break;
                default: reader.Skip(); break;
            }
        }
        return new OnnxNode(name, opType, inputs, outputs, attributes);
    }
}
