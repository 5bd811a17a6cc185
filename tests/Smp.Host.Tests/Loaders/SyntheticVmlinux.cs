using System.Buffers.Binary;
using System.Text;

namespace Smp.Host.Tests.Loaders;

/// <summary>
/// An ELF64 vmlinux with kallsyms tables laid out as scripts/kallsyms.c writes them for x86-64
/// (CONFIG_KALLSYMS_BASE_RELATIVE, CONFIG_KALLSYMS_ABSOLUTE_PERCPU), for the kallsyms reader's tests.
/// </summary>
internal static class SyntheticVmlinux
{
    /// <summary>_text: the relative base.</summary>
    public const ulong Text = 0xFFFF_FFFF_8100_0000;

    // Multi-character tokens at indexes no printable character uses, so names compress as in a real kernel.
    private static readonly string[] Compound = ["start_", "cpu", "_secondary", "kernel"];

    /// <summary>Builds the image.</summary>
    /// <param name="symbols">(address, type, name): per-CPU symbols have addresses below _text.</param>
    /// <param name="seqsOfNames">Whether kallsyms_seqs_of_names (6.1.y's later releases) sits between the markers and the token table.</param>
    public static byte[] Build(IReadOnlyList<(ulong Address, char Type, string Name)> symbols, bool seqsOfNames)
    {
        var tokens = new string[256];
        for (int k = 0; k < 256; k++) tokens[k] = k is >= 0x20 and < 0x7F ? ((char)k).ToString() : $"~{k:x2}";
        for (int i = 0; i < Compound.Length; i++) tokens[1 + i] = Compound[i];

        var rodata = new MemoryStream();
        void Align() { while (rodata.Length % 8 != 0) rodata.WriteByte(0); }
        void U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); rodata.Write(b); }

        foreach (var s in symbols)
            U32((uint)(s.Address < Text ? (int)s.Address : (int)(long)(Text - 1 - s.Address)));
        Align();
        Span<byte> q = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(q, Text);
        rodata.Write(q);
        U32((uint)symbols.Count);
        Align();
        var names = new MemoryStream();
        var markers = new List<uint>();
        for (int i = 0; i < symbols.Count; i++)
        {
            if (i % 256 == 0) markers.Add((uint)names.Length);
            var encoded = Encode(symbols[i].Type + symbols[i].Name, tokens);
            if (encoded.Count < 0x80) names.WriteByte((byte)encoded.Count);
            else
            {
                names.WriteByte((byte)(0x80 | (encoded.Count & 0x7F)));
                names.WriteByte((byte)(encoded.Count >> 7));
            }

            foreach (var t in encoded) names.WriteByte(t);
        }

        names.WriteTo(rodata);
        Align();
        foreach (var m in markers) U32(m);
        Align();
        if (seqsOfNames)
        {
            rodata.Write(new byte[3 * symbols.Count]);
            Align();
        }

        var index = new List<ushort>();
        long tableStart = rodata.Length;
        foreach (var t in tokens)
        {
            index.Add((ushort)(rodata.Length - tableStart));
            rodata.Write(Encoding.Latin1.GetBytes(t));
            rodata.WriteByte(0);
        }

        Align();
        foreach (var i in index) { rodata.WriteByte((byte)i); rodata.WriteByte((byte)(i >> 8)); }

        // ELF64 header and two PT_LOAD program headers (the kernel at _text, the per-CPU segment at 0), then the tables.
        const int phoff = 64, phnum = 2, dataAt = 0x100;
        var file = new byte[dataAt + rodata.Length];
        Span<byte> f = file;
        f[0] = 0x7F; f[1] = (byte)'E'; f[2] = (byte)'L'; f[3] = (byte)'F'; f[4] = 2; f[5] = 1; f[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(f[16..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(f[18..], 62);
        BinaryPrimitives.WriteUInt64LittleEndian(f[24..], Text);
        BinaryPrimitives.WriteUInt64LittleEndian(f[32..], phoff);
        BinaryPrimitives.WriteUInt16LittleEndian(f[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(f[56..], phnum);
        ulong[] vaddrs = [Text, 0];
        for (int i = 0; i < phnum; i++)
        {
            var ph = f[(phoff + (56 * i))..];
            BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], dataAt);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], vaddrs[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], 0x100_0000);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)rodata.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)rodata.Length);
        }

        rodata.ToArray().CopyTo(file, dataAt);
        return file;
    }

    // Greedy: the longest compound token that matches, else the character's own token.
    private static List<byte> Encode(string text, string[] tokens)
    {
        var result = new List<byte>();
        for (int i = 0; i < text.Length;)
        {
            int chosen = -1;
            for (int k = 1; k <= Compound.Length; k++)
                if (string.CompareOrdinal(text, i, tokens[k], 0, tokens[k].Length) == 0 && (chosen < 0 || tokens[k].Length > tokens[chosen].Length)) chosen = k;
            result.Add(chosen < 0 ? (byte)text[i] : (byte)chosen);
            i += chosen < 0 ? 1 : tokens[chosen].Length;
        }

        return result;
    }
}
