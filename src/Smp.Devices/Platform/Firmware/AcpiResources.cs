using System.Buffers.Binary;

namespace Smp.Devices.Platform;

/// <summary>
/// ACPI resource descriptors (the bytes of an ASL ResourceTemplate), as ACPI 6.4 §6.4 lays them out: small items
/// (IO port §6.4.2.5, End Tag §6.4.2.9) and large address-space items (Word §6.4.3.5.3, DWord §6.4.3.5.2).
/// </summary>
internal static class AcpiResources
{
    /// <summary>Address space resource types (byte 3 of an address-space descriptor).</summary>
    public enum SpaceType : byte
    {
        /// <summary>Memory range.</summary>
        Memory = 0,

        /// <summary>I/O range.</summary>
        Io = 1,

        /// <summary>Bus number range.</summary>
        BusNumber = 2,
    }

    // General flags: bit 0 consumer (0 = producer), bit 1 subtractive decode, bit 2 min fixed, bit 3 max fixed.
    private const byte ProducerFixed = 0x0C;

    /// <summary>IO(Decode16, min, max, alignment, length): a 16-bit-decoded I/O port range a device consumes.</summary>
    public static byte[] Io(ushort minimum, ushort maximum, byte alignment, byte length) =>
        [0x47, 0x01, (byte)minimum, (byte)(minimum >> 8), (byte)maximum, (byte)(maximum >> 8), alignment, length];

    /// <summary>
    /// A Word address-space descriptor a bridge produces (WordBusNumber / WordIO with ResourceProducer, MinFixed,
    /// MaxFixed, PosDecode; I/O ranges decode the entire range, ISA and non-ISA).
    /// </summary>
    public static byte[] Word(SpaceType type, ushort minimum, ushort maximum)
    {
        var d = new byte[16];
        d[0] = 0x88;
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(1), 13);
        d[3] = (byte)type;
        d[4] = ProducerFixed;
        d[5] = type == SpaceType.Io ? (byte)0x03 : (byte)0x00;
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(8), minimum);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(10), maximum);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(14), (ushort)(maximum - minimum + 1));
        return d;
    }

    /// <summary>
    /// A DWordMemory descriptor a bridge produces (ResourceProducer, PosDecode, MinFixed, MaxFixed, ReadWrite),
    /// cacheable or not (type-specific flags bit 0 read/write, bits 2:1 cacheability).
    /// </summary>
    public static byte[] DWordMemory(uint minimum, uint maximum, bool cacheable)
    {
        var d = new byte[26];
        d[0] = 0x87;
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(1), 23);
        d[3] = (byte)SpaceType.Memory;
        d[4] = ProducerFixed;
        d[5] = (byte)(0x01 | (cacheable ? 0x02 : 0x00));
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(10), minimum);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(14), maximum);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(22), maximum - minimum + 1);
        return d;
    }

    /// <summary>IRQNoFlags () {irq}: an edge-triggered, active-high ISA interrupt the device uses (IRQ descriptor, §6.4.2.1, 2-byte form).</summary>
    public static byte[] Irq(int irq) => [0x22, (byte)(1 << irq), (byte)((1 << irq) >> 8)];

    /// <summary>The End Tag closing a template (checksum 0: "treated as correct", §6.4.2.9).</summary>
    public static byte[] EndTag() => [0x79, 0x00];
}
