using System.Buffers.Binary;

namespace Smp.Devices.Platform;

/// <summary>
/// Builds the Intel MultiProcessor Specification 1.4 structures (fact E "MP"): the 16-byte "_MP_" floating
/// pointer and the "PCMP" configuration table with processor, ISA bus, I/O APIC, I/O interrupt and local
/// interrupt entries. ISA IRQ0 is routed to I/O APIC pin 2 to agree with the MADT's override.
/// </summary>
public sealed class MpTable
{
    /// <summary>A 16-byte aligned spot in 0xF0000–0xFFFFF, one of the places Linux scans, clear of the default RSDP.</summary>
    public const ulong DefaultFloatingPointerAddress = 0xF0040;

    /// <summary>The local APIC address the table reports.</summary>
    public const uint LocalApicAddress = 0xFEE00000;

    /// <summary>The I/O APIC address the table reports.</summary>
    public const uint IoApicAddress = 0xFEC00000;

    private const byte LocalApicVersion = 0x14, IoApicVersion = 0x11;
    private const uint CpuSignature = 0x0663; // family 6, model 6, stepping 3 (QEMU's default model)
    private const uint CpuFeatures = 0x0201;  // CPUID.1:EDX FPU (bit 0) and APIC (bit 9)
    private const byte IsaBusId = 0;
    private const int HeaderSize = 44;

    private MpTable(FirmwareBlob floatingPointer, FirmwareBlob configurationTable, int entryCount)
    {
        FloatingPointer = floatingPointer;
        ConfigurationTable = configurationTable;
        EntryCount = entryCount;
    }

    /// <summary>The "_MP_" floating pointer structure.</summary>
    public FirmwareBlob FloatingPointer { get; }

    /// <summary>The "PCMP" configuration table.</summary>
    public FirmwareBlob ConfigurationTable { get; }

    /// <summary>The number of entries in the configuration table.</summary>
    public int EntryCount { get; }

    /// <summary>Both blobs, floating pointer first.</summary>
    public IReadOnlyList<FirmwareBlob> Blobs => [FloatingPointer, ConfigurationTable];

    /// <summary>Copies every blob into RAM.</summary>
    public void WriteTo(Memory.PhysicalMemory memory)
    {
        foreach (FirmwareBlob blob in Blobs) blob.WriteTo(memory);
    }

    /// <summary>Builds the structures.</summary>
    /// <param name="apicIds">Local APIC IDs of the CPUs; the first is the bootstrap processor.</param>
    /// <param name="ioApicId">The I/O APIC's ID.</param>
    /// <param name="floatingPointerAddress">16-byte aligned address of the floating pointer.</param>
    /// <param name="configurationTableAddress">Address of the configuration table; by default right after the floating pointer.</param>
    public static MpTable Build(IReadOnlyList<byte> apicIds, byte ioApicId, ulong floatingPointerAddress = DefaultFloatingPointerAddress, ulong? configurationTableAddress = null)
    {
        ArgumentNullException.ThrowIfNull(apicIds);
        if (apicIds.Count is 0 or > 255) throw new ArgumentOutOfRangeException(nameof(apicIds), "between 1 and 255 CPUs are supported.");
        if (floatingPointerAddress % 16 != 0) throw new ArgumentException("The MP floating pointer must be 16-byte aligned.", nameof(floatingPointerAddress));
        ulong tableAddress = configurationTableAddress ?? floatingPointerAddress + 16;

        var entries = new List<byte[]>();
        for (int i = 0; i < apicIds.Count; i++)
        {
            // Processor entry (type 0, 20 bytes): APIC ID, APIC version, flags (bit 0 enabled, bit 1 BSP), signature, features.
            byte[] e = new byte[20];
            e[0] = 0; e[1] = apicIds[i]; e[2] = LocalApicVersion; e[3] = (byte)(i == 0 ? 0x03 : 0x01);
            BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(4), CpuSignature);
            BinaryPrimitives.WriteUInt32LittleEndian(e.AsSpan(8), CpuFeatures);
            entries.Add(e);
        }
        // Bus entry (type 1, 8 bytes): bus ID, 6-character bus type.
        byte[] bus = new byte[8];
        bus[0] = 1; bus[1] = IsaBusId; FirmwareBytes.Ascii(bus.AsSpan(2), "ISA", 6);
        entries.Add(bus);
        // I/O APIC entry (type 2, 8 bytes): ID, version, flags (bit 0 enabled), address.
        byte[] ioApic = new byte[8];
        ioApic[0] = 2; ioApic[1] = ioApicId; ioApic[2] = IoApicVersion; ioApic[3] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(ioApic.AsSpan(4), IoApicAddress);
        entries.Add(ioApic);
        // I/O interrupt entries (type 3): the 8259's ExtINT on pin 0, then ISA IRQs (IRQ0 → pin 2, IRQ2 is the cascade).
        entries.Add(Interrupt(3, 3, IsaBusId, 0, ioApicId, 0));
        for (byte irq = 0; irq < 16; irq++)
            if (irq != 2) entries.Add(Interrupt(3, 0, IsaBusId, irq, ioApicId, irq == 0 ? (byte)2 : irq));
        // Local interrupt entries (type 4): ExtINT on LINT0 and NMI on LINT1 of every local APIC (0xFF).
        entries.Add(Interrupt(4, 3, IsaBusId, 0, 0xFF, 0));
        entries.Add(Interrupt(4, 1, IsaBusId, 0, 0xFF, 1));

        int length = HeaderSize + entries.Sum(e => e.Length);
        byte[] table = new byte[length];
        "PCMP"u8.CopyTo(table);
        BinaryPrimitives.WriteUInt16LittleEndian(table.AsSpan(4), (ushort)length);
        table[6] = 4; // specification revision 1.4
        FirmwareBytes.Ascii(table.AsSpan(8), "SMP", 8);
        FirmwareBytes.Ascii(table.AsSpan(16), "SMPPC", 12);
        BinaryPrimitives.WriteUInt16LittleEndian(table.AsSpan(0x22), (ushort)entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(0x24), LocalApicAddress);
        int p = HeaderSize;
        foreach (byte[] e in entries) { e.CopyTo(table, p); p += e.Length; }
        table[7] = FirmwareBytes.Checksum(table);

        // Floating pointer: "_MP_", table address, length 1 (16-byte units), revision 4, checksum, feature bytes 0
        // (feature 1 = 0: a configuration table is present; feature 2 bit 7 = 0: virtual wire mode, no IMCR).
        byte[] fp = new byte[16];
        "_MP_"u8.CopyTo(fp);
        BinaryPrimitives.WriteUInt32LittleEndian(fp.AsSpan(4), (uint)tableAddress);
        fp[8] = 1; fp[9] = 4;
        fp[10] = FirmwareBytes.Checksum(fp);

        return new MpTable(new FirmwareBlob(floatingPointerAddress, fp), new FirmwareBlob(tableAddress, table), entries.Count);
    }

    private static byte[] Interrupt(byte type, byte interruptType, byte sourceBus, byte sourceIrq, byte destinationApic, byte destinationPin)
    {
        // Types 3 and 4 share a layout: type, interrupt type, u16 flags (0 = conforms to the bus), source bus, source IRQ, destination APIC, pin.
        return [type, interruptType, 0, 0, sourceBus, sourceIrq, destinationApic, destinationPin];
    }
}
