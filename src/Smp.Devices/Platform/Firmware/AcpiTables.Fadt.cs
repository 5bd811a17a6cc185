using System.Buffers.Binary;

namespace Smp.Devices.Platform;

public sealed partial class AcpiTables
{
    /// <summary>The FADT revision: 3 (ACPI 2.0 layout, 244 bytes, with the 64-bit X_ fields and IAPC_BOOT_ARCH).</summary>
    public const byte FadtRevision = 3;

    /// <summary>The CMOS index of the century byte the FADT names.</summary>
    public const byte CenturyCmosIndex = (byte)CmosRtc.Offset.Century;

    /// <summary>The value the FADT's reset register takes: PIIX3 RC with SRST and RCPU, a hard reset.</summary>
    public const byte ResetValue = 0x06;

    /// <summary>FADT Flags (§5.2.9, Table 5.10): WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON (no fixed buttons), FIX_RTC (no RTC wake status), RESET_REG_SUP.</summary>
    public const uint FadtFlags = (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 10);

    /// <summary>IAPC_BOOT_ARCH (§5.2.9.3): LEGACY_DEVICES (ISA devices such as the RTC and COM1), 8042, VGA Not Present.</summary>
    public const ushort IapcBootArch = 0x0007;

    private const int FadtLength = 244, FacsLength = 64, HpetTableLength = 56;
    private const byte SystemMemory = 0, SystemIo = 1, ByteAccess = 1;

    private static void WriteFadt(Span<byte> f, uint facs, uint dsdt)
    {
        WriteHeader(f, "FACP", FadtRevision);
        BinaryPrimitives.WriteUInt32LittleEndian(f[36..], facs);
        BinaryPrimitives.WriteUInt32LittleEndian(f[40..], dsdt);
        BinaryPrimitives.WriteUInt16LittleEndian(f[46..], AcpiPm.SciIrq);
        // SMI_CMD 0 (48): no legacy mode to leave, the platform is always in ACPI mode (SCI_EN reads 1).
        BinaryPrimitives.WriteUInt32LittleEndian(f[56..], AcpiPm.Pm1aEventBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(f[64..], AcpiPm.Pm1aControlBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(f[76..], AcpiPm.PmTimerBlock);
        f[88] = 4; // PM1_EVT_LEN
        f[89] = 2; // PM1_CNT_LEN
        f[91] = 4; // PM_TMR_LEN
        BinaryPrimitives.WriteUInt16LittleEndian(f[96..], 101);  // P_LVL2_LAT > 100: no C2
        BinaryPrimitives.WriteUInt16LittleEndian(f[98..], 1001); // P_LVL3_LAT > 1000: no C3
        f[108] = CenturyCmosIndex;
        BinaryPrimitives.WriteUInt16LittleEndian(f[109..], IapcBootArch);
        BinaryPrimitives.WriteUInt32LittleEndian(f[112..], FadtFlags);
        WriteGas(f[116..], SystemIo, 8, ByteAccess, PciConfigSpace.ResetControlPort);
        f[128] = ResetValue;
        // X_FIRMWARE_CTRL stays 0: "if the FIRMWARE_CTRL field contains a non-zero value then this field must be
        // zero" (§5.2.9, Table 5.9); with both set Linux installs the FACS twice.
        BinaryPrimitives.WriteUInt64LittleEndian(f[140..], dsdt);
        WriteGas(f[148..], SystemIo, 32, 0, AcpiPm.Pm1aEventBlock);
        WriteGas(f[172..], SystemIo, 16, 0, AcpiPm.Pm1aControlBlock);
        WriteGas(f[208..], SystemIo, 32, 0, AcpiPm.PmTimerBlock);
    }

    private static void WriteFacs(Span<byte> facs)
    {
        // FACS (§5.2.10): no checksum; hardware signature 0, waking vectors 0 (S3 is not offered), version 1.
        FirmwareBytes.Ascii(facs, "FACS", 4);
        BinaryPrimitives.WriteUInt32LittleEndian(facs[4..], FacsLength);
        facs[32] = 1;
    }

    private static void WriteHpetTable(Span<byte> h)
    {
        // IA-PC HPET specification 1.0a §3.2.4: event timer block ID (= GCAP_ID[31:0]), base address (GAS in system
        // memory), HPET number, minimum periodic clock tick, page protection.
        WriteHeader(h, "HPET", 1);
        BinaryPrimitives.WriteUInt32LittleEndian(h[36..], Hpet.CapabilitiesLow);
        WriteGas(h[40..], SystemMemory, 64, 0, Hpet.DefaultBase);
        h[52] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(h[53..], 0x80);
        h[55] = 0;
    }

    /// <summary>A Generic Address Structure (§5.2.3.2): space ID, bit width, bit offset 0, access size, address.</summary>
    private static void WriteGas(Span<byte> gas, byte space, byte bitWidth, byte accessSize, ulong address)
    {
        gas[0] = space;
        gas[1] = bitWidth;
        gas[2] = 0;
        gas[3] = accessSize;
        BinaryPrimitives.WriteUInt64LittleEndian(gas[4..], address);
    }
}
