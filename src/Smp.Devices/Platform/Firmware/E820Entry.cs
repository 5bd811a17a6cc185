using System.Buffers.Binary;

namespace Smp.Devices.Platform;

/// <summary>One E820 address range: base, length and type (the 20-byte INT 15h / boot_params layout).</summary>
/// <param name="Base">First physical address of the range.</param>
/// <param name="Length">Length in bytes.</param>
/// <param name="Type">What the range is.</param>
public sealed record E820Entry(ulong Base, ulong Length, E820Type Type)
{
    /// <summary>The size of an entry in the classic E820 format: u64 base, u64 length, u32 type.</summary>
    public const int Size = 20;

    /// <summary>The first address past the range.</summary>
    public ulong End => Base + Length;

    /// <summary>Writes the 20-byte little-endian form into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Base);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Length);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], (uint)Type);
    }
}
