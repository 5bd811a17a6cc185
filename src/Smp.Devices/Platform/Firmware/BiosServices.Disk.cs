using System.Buffers.Binary;

namespace Smp.Devices.Platform.Firmware;

// INT 13h for the one hard disk, drive 80h (IBM PC/AT BIOS interface; extensions after Phoenix's "BIOS Enhanced Disk
// Drive Services" 3.0 and Ralf Brown's Interrupt List). Status codes we return in AH with CF = 1:
//   01h bad command or parameter (unknown AH, count 0 or > 127 (42h/43h) or > 128 (02h/03h), short packet/buffer),
//   04h sector not found (CHS outside the geometry, LBA range beyond the disk),
//   80h no such drive (any DL but 80h, or no disk; floppies therefore fail cleanly).
// The status of the last call is also kept at 0040:0074 (AH=01h returns it). Transfers are linear: crossing a
// 64 KiB boundary is allowed (no DMA-boundary error 09h).
public sealed partial class BiosServices
{
    /// <summary>Hard disk BIOS number.</summary>
    public const byte DiskDrive = 0x80;

    /// <summary>The EDD version INT 13h AH=41h reports in AH (3.0).</summary>
    public const byte EddVersion = 0x30;

    private const byte StatusOk = 0x00, StatusBadCommand = 0x01, StatusSectorNotFound = 0x04, StatusNoDrive = 0x80;
    private const int MaxChsCount = 128, MaxPacketCount = 127;

    private void DiskService(ref BiosRegisters r)
    {
        byte function = r.Ah;
        byte drive = (byte)r.Edx;
        if (function == 0x15 && (drive != DiskDrive || Disk is null))
        {
            SetAx(ref r, 0); r.Carry = false; // "no such drive" (RBIL: AH = 00h)
            return;
        }
        if (drive != DiskDrive || Disk is null) { DiskResult(ref r, StatusNoDrive); return; }
        DiskImage disk = Disk;
        switch (function)
        {
            case 0x00: DiskResult(ref r, StatusOk); break; // reset
            case 0x01: // status of last operation
                r.Ah = (byte)_memory.Read(BiosDataArea.DiskStatus, 1);
                r.Carry = r.Ah != 0;
                break;
            case 0x02: ChsTransfer(ref r, disk, write: false); break;
            case 0x03: ChsTransfer(ref r, disk, write: true); break;
            case 0x04: case 0x0C: case 0x0D: case 0x10: case 0x11: case 0x14: // verify, seek, reset, ready, recalibrate, diagnostics
                DiskResult(ref r, StatusOk); break;
            case 0x08: DriveParameters(ref r, disk); break;
            case 0x15: // disk type: 03h = hard disk, CX:DX = sectors
                uint sectors = (uint)Math.Min(disk.TotalSectors, uint.MaxValue);
                SetCx(ref r, sectors >> 16); SetDx(ref r, sectors);
                r.Ah = 0x03; r.Carry = false;
                break;
            case 0x41:
                if ((ushort)r.Ebx != 0x55AA) { DiskResult(ref r, StatusBadCommand); break; }
                SetBx(ref r, 0xAA55);
                SetCx(ref r, 0x0001); // bit 0: fixed disk access subset (42h–44h, 47h, 48h)
                r.Ah = EddVersion; r.Carry = false;
                break;
            case 0x42: PacketTransfer(ref r, disk, write: false); break;
            case 0x43: PacketTransfer(ref r, disk, write: true); break;
            case 0x44: case 0x47: DiskResult(ref r, StatusOk); break; // extended verify, extended seek
            case 0x48: ExtendedParameters(ref r, disk); break;
            default: DiskResult(ref r, StatusBadCommand); break;
        }
    }

    private void DiskResult(ref BiosRegisters r, byte status)
    {
        r.Ah = status;
        r.Carry = status != StatusOk;
        _memory.Write(BiosDataArea.DiskStatus, 1, status);
    }

    // AH=02h/03h: AL sectors at CHS (CH = cylinder bits 7:0, CL bits 7:6 = cylinder bits 9:8, CL bits 5:0 = sector,
    // DH = head) to/from ES:BX. Success: AH = 0, AL = count.
    private void ChsTransfer(ref BiosRegisters r, DiskImage disk, bool write)
    {
        int count = r.Al;
        if (count is 0 or > MaxChsCount) { DiskResult(ref r, StatusBadCommand); r.Al = 0; return; }
        byte cl = (byte)r.Ecx;
        int cylinder = (byte)(r.Ecx >> 8) | ((cl & 0xC0) << 2), sector = cl & 0x3F, head = (byte)(r.Edx >> 8);
        ulong? lba = disk.ChsToLba(cylinder, head, sector);
        if (lba is null || !disk.Contains(lba.Value, (ulong)count)) { DiskResult(ref r, StatusSectorNotFound); r.Al = 0; return; }
        Transfer(disk, lba.Value, count, Linear(r.Es, r.Ebx), write);
        DiskResult(ref r, StatusOk);
        r.Al = (byte)count;
    }

    // AH=42h/43h: disk address packet at DS:SI: +0 size (10h, or 18h with a flat 64-bit buffer address at +10h used when
    // the buffer segment:offset at +4 is FFFF:FFFF), +2 count (1–127), +4 buffer offset, +6 buffer segment, +8 LBA (u64).
    // On error the packet's count becomes 0 (blocks transferred).
    private void PacketTransfer(ref BiosRegisters r, DiskImage disk, bool write)
    {
        ulong packet = Linear(r.Ds, r.Esi);
        int size = (byte)_memory.Read(packet, 1);
        int count = (ushort)_memory.Read(packet + 2, 2);
        uint far = (uint)_memory.Read(packet + 4, 4);
        ulong lba = _memory.Read(packet + 8, 8);
        if (size < 0x10 || count > MaxPacketCount) { DiskResult(ref r, StatusBadCommand); _memory.Write(packet + 2, 2, 0); return; }
        ulong buffer = far == 0xFFFF_FFFF && size >= 0x18 ? _memory.Read(packet + 0x10, 8) : Linear((ushort)(far >> 16), far & 0xFFFF);
        if (!disk.Contains(lba, (ulong)count)) { DiskResult(ref r, StatusSectorNotFound); _memory.Write(packet + 2, 2, 0); return; }
        Transfer(disk, lba, count, buffer, write);
        DiskResult(ref r, StatusOk);
    }

    private void Transfer(DiskImage disk, ulong lba, int count, ulong address, bool write)
    {
        Span<byte> sector = stackalloc byte[DiskImage.SectorSize];
        for (int i = 0; i < count; i++, address += DiskImage.SectorSize)
        {
            if (write)
            {
                _memory.Copy(address, sector);
                disk.WriteSector(lba + (ulong)i, sector);
            }
            else
            {
                disk.ReadSector(lba + (ulong)i, sector);
                WriteGuest(address, sector);
            }
        }
    }

    // AH=08h: CH/CL = last cylinder (bits 9:8 in CL 7:6) and sectors per track, DH = last head, DL = drive count.
    // The last cylinder is kept back as the PC/AT diagnostic cylinder (as the AT BIOS and SeaBIOS do), and capped at 1023.
    private static void DriveParameters(ref BiosRegisters r, DiskImage disk)
    {
        int lastCylinder = Math.Clamp(disk.Cylinders - 2, 0, 1023);
        SetCx(ref r, (uint)(((lastCylinder & 0xFF) << 8) | ((lastCylinder >> 2) & 0xC0) | DiskImage.SectorsPerTrack));
        SetDx(ref r, ((DiskImage.Heads - 1) << 8) | 1);
        SetBx(ref r, 0);
        SetAx(ref r, 0);
        r.Carry = false;
    }

    // AH=48h: result buffer at DS:SI; its first word is the caller's buffer size (at least 1Ah). Fills size, flags
    // (bit 1: CHS geometry valid), cylinders, heads, sectors per track, total sectors (u64), bytes per sector and,
    // for a buffer of 1Eh or more, the EDD configuration parameters pointer FFFF:FFFF (not available).
    private void ExtendedParameters(ref BiosRegisters r, DiskImage disk)
    {
        ulong buffer = Linear(r.Ds, r.Esi);
        int callerSize = (ushort)_memory.Read(buffer, 2);
        if (callerSize < 0x1A) { DiskResult(ref r, StatusBadCommand); return; }
        int size = callerSize >= 0x1E ? 0x1E : 0x1A;
        Span<byte> b = stackalloc byte[0x1E];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)size);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], 0x0002);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)disk.Cylinders);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], DiskImage.Heads);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], DiskImage.SectorsPerTrack);
        BinaryPrimitives.WriteUInt64LittleEndian(b[16..], disk.TotalSectors);
        BinaryPrimitives.WriteUInt16LittleEndian(b[24..], DiskImage.SectorSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b[26..], 0xFFFF_FFFF);
        WriteGuest(buffer, b[..size]);
        DiskResult(ref r, StatusOk);
    }
}
