namespace Graft.Backbones.Onnx;

/// <summary>
/// Walks the fields of one protobuf message in wire format. ONNX files are small enough to hold
/// in memory, and hand decoding keeps Graft free of generated protobuf classes.
/// </summary>
internal struct ProtoReader(ReadOnlyMemory<byte> message)
{
    const int Varint = 0;
    const int Fixed64 = 1;
    const int LengthDelimited = 2;
    const int Fixed32 = 5;

    readonly ReadOnlyMemory<byte> _message = message;
    int _position;

    /// <summary>Field number of the field just read by <see cref="Next"/>.</summary>
    public int Field { get; private set; }

    /// <summary>Wire type of the field just read by <see cref="Next"/>.</summary>
    public int WireType { get; private set; }

    /// <summary>Moves to the next field's key; false at the end of the message.</summary>
    public bool Next()
    {
        if (_position >= _message.Length)
            return false;
        var key = ReadVarint();
        Field = (int)(key >> 3);
        WireType = (int)(key & 7);
        if (Field == 0)
            throw Malformed($"field number 0 at byte {_position}");
        return true;
    }

    public ulong ReadVarint()
    {
        var span = _message.Span;
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= span.Length)
                throw Malformed("a varint runs past the end of its message");
            var b = span[_position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
                return value;
        }
        throw Malformed("a varint is longer than 10 bytes");
    }

    public long ReadInt64() => (long)ReadVarint();

    public ReadOnlyMemory<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(_message.Length - _position))
            throw Malformed($"a field of {length} bytes runs past the end of its message");
        var bytes = _message.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }

    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes().Span);

    public float ReadFloat()
    {
        if (_position + 4 > _message.Length)
            throw Malformed("a float runs past the end of its message");
        var value = BitConverter.ToSingle(_message.Span.Slice(_position, 4));
        _position += 4;
        return value;
    }

    /// <summary>Reads a repeated int64 field, whether packed or written one value per key.</summary>
    public void ReadInt64s(List<long> into)
    {
        if (WireType != LengthDelimited)
        {
            into.Add(ReadInt64());
            return;
        }
        var packed = new ProtoReader(ReadBytes());
        while (packed._position < packed._message.Length)
            into.Add(packed.ReadInt64());
    }

    /// <summary>Reads a repeated float field, whether packed or written one value per key.</summary>
    public void ReadFloats(List<float> into)
    {
        if (WireType != LengthDelimited)
        {
            into.Add(ReadFloat());
            return;
        }
        var bytes = ReadBytes().Span;
        if (bytes.Length % 4 != 0)
            throw Malformed($"packed floats take {bytes.Length} bytes, not a multiple of 4");
        for (var i = 0; i < bytes.Length; i += 4)
            into.Add(BitConverter.ToSingle(bytes.Slice(i, 4)));
    }

    /// <summary>Skips the value of the current field.</summary>
    public void Skip()
    {
        switch (WireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                _position += 8;
                break;
            case LengthDelimited:
                ReadBytes();
                break;
            case Fixed32:
                _position += 4;
                break;
            default:
                throw Malformed($"wire type {WireType} (field {Field}) is not used by ONNX");
        }
        if (_position > _message.Length)
            throw Malformed($"field {Field} runs past the end of its message");
    }

    static InvalidDataException Malformed(string what) =>
        new($"not a valid ONNX (protobuf) file: {what}");
}
