namespace Graft.Backbones.Onnx;

/// <summary>
/// The parts of an ONNX model Graft needs to rebuild a network elsewhere: its nodes in file order
/// and its initializers. Not a general ONNX loader: subgraphs, external data and sparse
/// initializers are not read.
/// </summary>
public sealed class OnnxGraph
{
    OnnxGraph(string producer, long opset, IReadOnlyList<OnnxNode> nodes,
        IReadOnlyDictionary<string, OnnxTensor> initializers)
    {
        Producer = producer;
        Opset = opset;
        Nodes = nodes;
        Initializers = initializers;
    }

    /// <summary>The exporter that wrote the file, with its version (for example <c>CNTK 2.6</c>).</summary>
    public string Producer { get; }

    /// <summary>The default-domain operator set version the model was written for (0 if not stated).</summary>
    public long Opset { get; }

    /// <summary>The graph's nodes in file order, which ONNX requires to be topological.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>The stored weights by name.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }

    /// <summary>Reads the model file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a readable ONNX model.</exception>
    public static OnnxGraph Load(string path)
    {
        try
        {
            return Parse(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses the bytes of a serialized ModelProto.</summary>
    public static OnnxGraph Parse(ReadOnlyMemory<byte> model)
    {
        var reader = new ProtoReader(model);
        ReadOnlyMemory<byte>? graph = null;
        string producer = "", producerVersion = "";
        long opset = 0;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 2: producer = reader.ReadString(); break;
                case 3: producerVersion = reader.ReadString(); break;
                case 7: graph = reader.ReadBytes(); break;
                case 8: opset = Math.Max(opset, ReadDefaultDomainVersion(reader.ReadBytes())); break;
                default: reader.Skip(); break;
            }
        }
        if (graph is null)
            throw new InvalidDataException("the model holds no graph");

        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>();
        var graphReader = new ProtoReader(graph.Value);
        while (graphReader.Next())
        {
            switch (graphReader.Field)
            {
                case 1:
                    nodes.Add(OnnxNode.Parse(graphReader.ReadBytes()));
                    break;
                case 5:
                    var tensor = OnnxTensor.Parse(graphReader.ReadBytes());
                    initializers[tensor.Name] = tensor;
                    break;
                default:
                    graphReader.Skip();
                    break;
            }
        }
        return new OnnxGraph($"{producer} {producerVersion}".Trim(), opset, nodes, initializers);
    }

    /// <summary>The node that reads <paramref name="value"/> first, in file order, or null.</summary>
    public OnnxNode? FirstConsumer(string value) => Nodes.FirstOrDefault(n => n.Inputs.Contains(value));

    static long ReadDefaultDomainVersion(ReadOnlyMemory<byte> operatorSet)
    {
        var reader = new ProtoReader(operatorSet);
        var domain = "";
        long version = 0;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: domain = reader.ReadString(); break;
                case 2: version = reader.ReadInt64(); break;
                default: reader.Skip(); break;
            }
        }
        return domain is "" or "ai.onnx" ? version : 0;
    }
}
