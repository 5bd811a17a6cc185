using Smp.Devices.Memory;

namespace Smp.Devices.Platform;

/// <summary>Bytes that firmware places at a fixed physical address (an ACPI table block, an MP structure).</summary>
/// <param name="Address">Physical address of the first byte.</param>
/// <param name="Bytes">The contents.</param>
public sealed record FirmwareBlob(ulong Address, byte[] Bytes)
{
    /// <summary>Copies the blob into RAM.</summary>
    public void WriteTo(PhysicalMemory memory) => memory.Load(Address, Bytes);

    /// <summary>Copies whatever part of the blob falls inside <paramref name="image"/> (which starts at physical <paramref name="imageBase"/>), e.g. a BIOS ROM image.</summary>
    /// <returns>True if any byte was copied.</returns>
    public bool CopyInto(Span<byte> image, ulong imageBase)
    {
        ulong start = Math.Max(Address, imageBase), end = Math.Min(Address + (ulong)Bytes.Length, imageBase + (ulong)image.Length);
        if (start >= end) return false;
        Bytes.AsSpan((int)(start - Address), (int)(end - start)).CopyTo(image[(int)(start - imageBase)..]);
        return true;
    }
}
