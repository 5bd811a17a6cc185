using System.Text;

namespace Smp.Devices.Platform;

/// <summary>
/// A tiny ACPI Machine Language emitter: each method returns the encoding of one AML term, and terms nest by
/// passing their bytes in. Encodings follow the ACPI 6.4 specification, chapter 20 ("ACPI Machine Language
/// Specification"): §20.2.2 name objects, §20.2.3 data objects, §20.2.4 package length, §20.2.5 term objects.
/// Written by hand because no AML compiler is a .NET library; the tests check the output with ACPICA's
/// disassembler when it is installed.
/// </summary>
internal static class Aml
{
    private const byte ZeroOp = 0x00, OneOp = 0x01, NameOp = 0x08, BytePrefix = 0x0A, WordPrefix = 0x0B, DWordPrefix = 0x0C,
        StringPrefix = 0x0D, QWordPrefix = 0x0E, ScopeOp = 0x10, BufferOp = 0x11, PackageOp = 0x12, MethodOp = 0x14,
        DualNamePrefix = 0x2E, MultiNamePrefix = 0x2F, ExtOpPrefix = 0x5B, DeviceOp = 0x82, RootChar = 0x5C, ParentChar = 0x5E,
        ReturnOp = 0xA4, OnesOp = 0xFF;

    /// <summary>Name(<paramref name="name"/>, <paramref name="value"/>): DefName := NameOp NameString DataRefObject.</summary>
    public static byte[] Name(string name, byte[] value) => [NameOp, .. NameString(name), .. value];

    /// <summary>Scope(<paramref name="name"/>) { terms }: DefScope := ScopeOp PkgLength NameString TermList.</summary>
    public static byte[] Scope(string name, params byte[][] terms) => [ScopeOp, .. WithPkgLength([.. NameString(name), .. Concat(terms)])];

    /// <summary>Device(<paramref name="name"/>) { terms }: DefDevice := ExtOpPrefix 0x82 PkgLength NameString TermList.</summary>
    public static byte[] Device(string name, params byte[][] terms) => [ExtOpPrefix, DeviceOp, .. WithPkgLength([.. NameString(name), .. Concat(terms)])];

    /// <summary>
    /// Method(<paramref name="name"/>, <paramref name="argCount"/>, NotSerialized) { terms }:
    /// DefMethod := MethodOp PkgLength NameString MethodFlags TermList (flags bits 2:0 ArgCount).
    /// </summary>
    public static byte[] Method(string name, int argCount, params byte[][] terms)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)argCount, 7u, nameof(argCount));
        return [MethodOp, .. WithPkgLength([.. NameString(name), (byte)argCount, .. Concat(terms)])];
    }

    /// <summary>Return(<paramref name="value"/>): DefReturn := ReturnOp ArgObject.</summary>
    public static byte[] Return(byte[] value) => [ReturnOp, .. value];

    /// <summary>
    /// An integer in its shortest encoding (§20.2.3): ZeroOp, OneOp, OnesOp (all ones in a revision-2 table), or a
    /// Byte/Word/DWord/QWord constant.
    /// </summary>
    public static byte[] Integer(ulong value) => value switch
    {
        0 => [ZeroOp],
        1 => [OneOp],
        ulong.MaxValue => [OnesOp],
        <= 0xFF => [BytePrefix, (byte)value],
        <= 0xFFFF => [WordPrefix, (byte)value, (byte)(value >> 8)],
        <= 0xFFFF_FFFF => [DWordPrefix, .. BitConverter.GetBytes((uint)value)],
        _ => [QWordPrefix, .. BitConverter.GetBytes(value)],
    };

    /// <summary>A string constant: StringPrefix AsciiCharList NullChar.</summary>
    public static byte[] String(string text)
    {
        if (text.Any(c => c is < (char)1 or > (char)0x7F)) throw new ArgumentException("AML strings are ASCII 0x01–0x7F.", nameof(text));
        return [StringPrefix, .. Encoding.ASCII.GetBytes(text), 0];
    }

    /// <summary>Package() { elements }: DefPackage := PackageOp PkgLength NumElements PackageElementList.</summary>
    public static byte[] Package(params byte[][] elements)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elements.Length, 255, nameof(elements));
        return [PackageOp, .. WithPkgLength([(byte)elements.Length, .. Concat(elements)])];
    }

    /// <summary>Buffer() { bytes }: DefBuffer := BufferOp PkgLength BufferSize ByteList.</summary>
    public static byte[] Buffer(ReadOnlySpan<byte> bytes) => [BufferOp, .. WithPkgLength([.. Integer((ulong)bytes.Length), .. bytes])];

    /// <summary>
    /// EISAID("PNP0A03"): the compressed EISA ID as a DWord (ACPI §6.1.5: three letters of 5 bits each, then four
    /// hex digits, stored big-endian in a 32-bit integer).
    /// </summary>
    public static byte[] EisaId(string id)
    {
        if (id.Length != 7 || !id[..3].All(c => c is >= 'A' and <= 'Z') || !id[3..].All(Uri.IsHexDigit))
            throw new ArgumentException($"'{id}' is not an EISA ID (three capitals and four hex digits).", nameof(id));
        uint vendor = (uint)(((id[0] - 0x40) << 10) | ((id[1] - 0x40) << 5) | (id[2] - 0x40));
        uint product = Convert.ToUInt32(id[3..], 16);
        uint bigEndian = (vendor << 16) | product;
        return [DWordPrefix, (byte)(bigEndian >> 24), (byte)(bigEndian >> 16), (byte)(bigEndian >> 8), (byte)bigEndian];
    }

    /// <summary>
    /// A NameString (§20.2.2): an optional root '\' or parent '^' prefixes, then name segments separated by '.';
    /// each segment is padded with '_' to four characters. Two segments use DualNamePrefix, more MultiNamePrefix.
    /// </summary>
    public static byte[] NameString(string path)
    {
        var bytes = new List<byte>();
        int i = 0;
        if (path.StartsWith('\\')) { bytes.Add(RootChar); i = 1; }
        while (i < path.Length && path[i] == '^') { bytes.Add(ParentChar); i++; }
        string[] segments = path[i..].Length == 0 ? [] : path[i..].Split('.');
        if (segments.Length == 2) bytes.Add(DualNamePrefix);
        else if (segments.Length > 2) { bytes.Add(MultiNamePrefix); bytes.Add((byte)segments.Length); }
        else if (segments.Length == 0) bytes.Add(0); // NullName
        foreach (string segment in segments) bytes.AddRange(NameSeg(segment));
        return [.. bytes];
    }

    /// <summary>
    /// Prefixes <paramref name="body"/> with its PkgLength (§20.2.4), which counts itself: one byte when the total
    /// is under 64; otherwise bits 7:6 of the lead byte give 1–3 following bytes, its bits 3:0 the low nibble.
    /// </summary>
    public static byte[] WithPkgLength(byte[] body)
    {
        for (int extra = 0; extra <= 3; extra++)
        {
            int total = body.Length + 1 + extra;
            if (extra == 0 && total < 0x40) return [(byte)total, .. body];
            if (extra > 0 && total < 1 << (4 + 8 * extra))
            {
                var length = new byte[1 + extra];
                length[0] = (byte)((extra << 6) | (total & 0x0F));
                for (int k = 1; k <= extra; k++) length[k] = (byte)(total >> (4 + 8 * (k - 1)));
                return [.. length, .. body];
            }
        }

        throw new ArgumentOutOfRangeException(nameof(body), "An AML package cannot exceed 256 MiB.");
    }

    private static byte[] NameSeg(string segment)
    {
        if (segment.Length is 0 or > 4 || !(segment[0] is '_' or >= 'A' and <= 'Z') || !segment.All(c => c is '_' or >= 'A' and <= 'Z' or >= '0' and <= '9'))
            throw new ArgumentException($"'{segment}' is not an AML name segment (a capital or '_', then up to three capitals, digits or '_').", nameof(segment));
        return Encoding.ASCII.GetBytes(segment.PadRight(4, '_'));
    }

    private static byte[] Concat(byte[][] parts) => [.. parts.SelectMany(p => p)];
}
