using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Graft.Data;
using SkiaSharp;

namespace Graft.Tests;

/// <summary>
/// Small hand-written encoders for image files the tests need but SkiaSharp cannot write:
/// 16-bit and palette PNG, BMP, animated GIF, CMYK/YCCK JPEG, and JPEG with an EXIF orientation.
/// </summary>
public static class TestImages
{
    /// <summary>The colour of a decoded pixel.</summary>
    public static SKColor Pixel(DecodedImage image, int x, int y)
    {
        var i = 3 * (y * image.Width + x);
        return new SKColor(image.Rgb[i], image.Rgb[i + 1], image.Rgb[i + 2]);
    }

    /// <summary>The mean of each channel over the whole decoded image.</summary>
    public static (double R, double G, double B) Mean(DecodedImage image)
    {
        double r = 0, g = 0, b = 0;
        for (var i = 0; i < image.Rgb.Length; i += 3)
            (r, g, b) = (r + image.Rgb[i], g + image.Rgb[i + 1], b + image.Rgb[i + 2]);
        var n = image.Rgb.Length / 3.0;
        return (r / n, g / n, b / n);
    }

    /// <summary>Encodes a bitmap with SkiaSharp's own encoder.</summary>
    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 95)
    {
        using var data = bitmap.Encode(format, quality)
                         ?? throw new InvalidOperationException($"SkiaSharp cannot encode {format}");
        return data.ToArray();
    }

    /// <summary>A bitmap filled with one colour.</summary>
    public static SKBitmap Solid(int width, int height, SKColor colour)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        bitmap.Erase(colour);
        return bitmap;
    }

    /// <summary>A bitmap of random pixels, which compresses badly, so cutting the file loses image data.</summary>
    public static SKBitmap Noise(int width, int height, int seed)
    {
        var bitmap = Solid(width, height, SKColors.Black);
        var random = new Random(seed);
        var pixels = bitmap.GetPixelSpan();
        for (var i = 0; i < pixels.Length; i += 4)
        {
            pixels[i] = (byte)random.Next(256);
            pixels[i + 1] = (byte)random.Next(256);
            pixels[i + 2] = (byte)random.Next(256);
        }
        return bitmap;
    }

    /// <summary>Inserts an EXIF APP1 segment holding only the Orientation tag right after the JPEG's SOI.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        var exif = new MemoryStream();
        exif.Write("Exif\0\0"u8);
        exif.Write("MM\0\u002A"u8);                 // big-endian TIFF header
        WriteBig32(exif, 8);                        // first IFD right after the header
        WriteBig16(exif, 1);                        // one entry
        WriteBig16(exif, 0x0112);                   // Orientation
        WriteBig16(exif, 3);                        // SHORT
        WriteBig32(exif, 1);
        WriteBig16(exif, (ushort)orientation);
        WriteBig16(exif, 0);                        // value field padding
        WriteBig32(exif, 0);                        // no next IFD
        var payload = exif.ToArray();

        var result = new MemoryStream();
        result.Write(jpeg, 0, 2);
        result.WriteByte(0xFF);
        result.WriteByte(0xE1);
        WriteBig16(result, (ushort)(payload.Length + 2));
        result.Write(payload);
        result.Write(jpeg, 2, jpeg.Length - 2);
        return result.ToArray();
    }

    /// <summary>
    /// A PNG with the given header fields; <paramref name="rows"/> are raw scanlines without the
    /// filter byte; <paramref name="chunks"/> (PLTE, tRNS, ...) go between IHDR and IDAT.
    /// </summary>
    public static byte[] Png(int width, int height, byte bitDepth, byte colourType, byte[][] rows,
        params (string Type, byte[] Data)[] chunks)
    {
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth;
        header[9] = colourType;
        WriteChunk(png, "IHDR", header);
        foreach (var (type, data) in chunks)
            WriteChunk(png, type, data);

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            foreach (var row in rows)
            {
                zlib.WriteByte(0);                  // filter type None
                zlib.Write(row);
            }
        }
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>
    /// A small, complete PNG whose header declares <paramref name="width"/> x
    /// <paramref name="height"/> 8-bit RGB pixels but whose data holds only one row of zeros.
    /// </summary>
    public static byte[] PngDeclaring(int width, int height) =>
        Png(width, height, 8, 2, [new byte[Math.Min(width, 64) * 3]]);

    /// <summary>
    /// A small, complete GIF whose screen and only frame declare <paramref name="width"/> x
    /// <paramref name="height"/> pixels, though its data holds one.
    /// </summary>
    public static byte[] GifDeclaring(ushort width, ushort height)
    {
        var gif = AnimatedGif(1, 1, SKColors.Black);
        var frame = gif.AsSpan().IndexOf([(byte)0x21, (byte)0xF9]) + 8;
        foreach (var at in new[] { 6, frame + 5 })
        {
            BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(at), width);
            BinaryPrimitives.WriteUInt16LittleEndian(gif.AsSpan(at + 2), height);
        }
        return gif;
    }

    static void WriteChunk(Stream png, string type, byte[] data)
    {
        var typeBytes = Encoding.ASCII.GetBytes(type);
        WriteBig32(png, (uint)data.Length);
        png.Write(typeBytes);
        png.Write(data);
        WriteBig32(png, Crc32([.. typeBytes, .. data]));
    }

    static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return crc ^ 0xFFFFFFFFu;
    }

    /// <summary>A 24-bit bottom-up BMP; <paramref name="pixel"/> gives the RGB colour at (x, y).</summary>
    public static byte[] Bmp(int width, int height, Func<int, int, SKColor> pixel)
    {
        var stride = (width * 3 + 3) / 4 * 4;
        var bmp = new byte[54 + stride * height];
        "BM"u8.CopyTo(bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), bmp.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(34), stride * height);
        for (var y = 0; y < height; y++)
        {
            var row = 54 + (height - 1 - y) * stride;
            for (var x = 0; x < width; x++)
            {
                var c = pixel(x, y);
                bmp[row + 3 * x] = c.Blue;
                bmp[row + 3 * x + 1] = c.Green;
                bmp[row + 3 * x + 2] = c.Red;
            }
        }
        return bmp;
    }

    /// <summary>
    /// An animated, looping GIF with one frame per colour, each frame filling the whole canvas.
    /// The LZW stream only ever emits literal codes: valid, just not compressed.
    /// </summary>
    public static byte[] AnimatedGif(int width, int height, params SKColor[] frames)
    {
        var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        WriteLittle16(gif, width);
        WriteLittle16(gif, height);
        var tableBits = 1;
        while (1 << tableBits < frames.Length)
            tableBits++;
        gif.WriteByte((byte)(0xF0 | (tableBits - 1)));  // global table, 8-bit colour resolution
        gif.WriteByte(0);
        gif.WriteByte(0);
        for (var i = 0; i < 1 << tableBits; i++)
        {
            var c = frames[Math.Min(i, frames.Length - 1)];
            gif.Write([c.Red, c.Green, c.Blue]);
        }
        gif.Write([0x21, 0xFF, 11, .. "NETSCAPE2.0"u8, 3, 1, 0, 0, 0]);

        for (var f = 0; f < frames.Length; f++)
        {
            gif.Write([0x21, 0xF9, 4, 0x04, 10, 0, 0, 0]);  // keep the frame, 0.1 s
            gif.WriteByte(0x2C);
            WriteLittle16(gif, 0);
            WriteLittle16(gif, 0);
            WriteLittle16(gif, width);
            WriteLittle16(gif, height);
            gif.WriteByte(0);

            var minimum = Math.Max(2, tableBits);
            gif.WriteByte((byte)minimum);
            var lzw = LiteralLzw(Enumerable.Repeat(f, width * height), minimum);
            for (var start = 0; start < lzw.Length; start += 255)
            {
                var length = Math.Min(255, lzw.Length - start);
                gif.WriteByte((byte)length);
                gif.Write(lzw, start, length);
            }
            gif.WriteByte(0);
        }
        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    static byte[] LiteralLzw(IEnumerable<int> indices, int minimum)
    {
        var clear = 1 << minimum;
        var output = new List<byte>();
        var (buffer, bits) = (0, 0);
        var size = minimum + 1;
        var next = clear + 2;
        var first = true;

        void Emit(int code)
        {
            buffer |= code << bits;
            bits += size;
            for (; bits >= 8; bits -= 8, buffer >>= 8)
                output.Add((byte)buffer);
        }

        Emit(clear);
        foreach (var index in indices)
        {
            Emit(index);
            // The decoder adds a table entry for every code but the first after a clear, and
            // widens its codes when the table reaches the next power of two; mirror it exactly.
            if (!first && ++next == 1 << size)
            {
                if (size == 12)
                {
                    Emit(clear);
                    (size, next, first) = (minimum + 1, clear + 2, true);
                    continue;
                }
                size++;
            }
            first = false;
        }
        Emit(clear + 1);
        if (bits > 0)
            output.Add((byte)buffer);
        return [.. output];
    }

    /// <summary>
    /// A baseline JPEG of 8x8 flat blocks side by side, with <c>components</c> values per block
    /// (Y for 1; Y, Cb, Cr for 3; C, M, Y, K or Y, Cb, Cr, K for 4, as stored), and an Adobe
    /// APP14 marker with <paramref name="adobeTransform"/> (0 plain, 1 YCbCr, 2 YCCK) when it is
    /// not negative. Flat blocks need only DC coefficients, which keeps this encoder tiny.
    /// </summary>
    public static byte[] FlatBlocksJpeg(int adobeTransform, params byte[][] blocks)
    {
        var components = blocks[0].Length;
        var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);
        if (adobeTransform >= 0)
            jpeg.Write([0xFF, 0xEE, 0, 14, .. "Adobe"u8, 0, 100, 0, 0, 0, 0, (byte)adobeTransform]);

        jpeg.Write([0xFF, 0xDB, 0, 67, 0]);
        jpeg.Write(Enumerable.Repeat((byte)1, 64).ToArray());   // quantise nothing away

        jpeg.Write([0xFF, 0xC0]);
        WriteBig16(jpeg, (ushort)(8 + 3 * components));
        jpeg.WriteByte(8);
        WriteBig16(jpeg, 8);
        WriteBig16(jpeg, (ushort)(8 * blocks.Length));
        jpeg.WriteByte((byte)components);
        for (var c = 0; c < components; c++)
            jpeg.Write([(byte)(c + 1), 0x11, 0]);

        // DC table: categories 0-11, all 4-bit codes (code = category). AC table: only end-of-block, code "0".
        jpeg.Write([0xFF, 0xC4, 0, 31, 0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        jpeg.Write(Enumerable.Range(0, 12).Select(i => (byte)i).ToArray());
        jpeg.Write([0xFF, 0xC4, 0, 20, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

        jpeg.Write([0xFF, 0xDA]);
        WriteBig16(jpeg, (ushort)(6 + 2 * components));
        jpeg.WriteByte((byte)components);
        for (var c = 0; c < components; c++)
            jpeg.Write([(byte)(c + 1), 0x00]);
        jpeg.Write([0, 63, 0]);

        var bits = new JpegBits(jpeg);
        var previous = new int[components];
        foreach (var block in blocks)
        {
            for (var c = 0; c < components; c++)
            {
                // A flat block of value v has DC coefficient 8 (v - 128); DC is coded as a difference.
                var dc = 8 * (block[c] - 128);
                var diff = dc - previous[c];
                previous[c] = dc;
                var category = diff == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(diff));
                bits.Write(category, 4);
                if (category > 0)
                    bits.Write(diff > 0 ? diff : diff + (1 << category) - 1, category);
                bits.Write(0, 1);
            }
        }
        bits.Flush();
        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    sealed class JpegBits(Stream output)
    {
        int _buffer;
        int _count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _buffer = _buffer << 1 | (value >> i & 1);
                if (++_count == 8)
                    Put();
            }
        }

        public void Flush()
        {
            while (_count != 0)
                Write(1, 1);
        }

        void Put()
        {
            output.WriteByte((byte)_buffer);
            if (_buffer == 0xFF)
                output.WriteByte(0);                // byte stuffing
            (_buffer, _count) = (0, 0);
        }
    }

    static void WriteBig16(Stream s, ushort value) => s.Write([(byte)(value >> 8), (byte)value]);

    static void WriteBig32(Stream s, uint value) =>
        s.Write([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    static void WriteLittle16(Stream s, int value) => s.Write([(byte)value, (byte)(value >> 8)]);
}
