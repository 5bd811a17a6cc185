using System.Buffers.Binary;
using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;
using static Smp.Devices.Tests.Platform.Bios.GuestDisk;

namespace Smp.Devices.Tests.Platform.Bios;

public sealed class BiosDiskTests
{
    private const int Packet0 = 0x500, Results = 0x700;

    [Fact]
    public void ExtendedReadsFillMemoryAcross64KiBAndAbove1MiBAndReachLbasBeyond16Bits()
    {
        const int sectors = 0x10010; // 32 MiB + 8 KiB, so LBA 0x10005 exists
        byte[] image = Build(a =>
        {
            // 127 sectors at LBA 100 into 1800:0000 (0x18000–0x27DFF, crossing 0x20000).
            Packet(a, Packet0, 127, 0x1800, 0x0000, 100);
            a.mov(si, Packet0); a.mov(dl, 0x80); a.mov(ah, 0x42); a.@int(0x13);
            SaveAxFlags(a, Results);
            // 3 sectors at LBA 0x10005 to the flat address 0x200000 (packet size 18h, buffer FFFF:FFFF).
            Packet(a, Packet0, 3, 0xFFFF, 0xFFFF, 0x10005, size: 0x18, flat: 0x200000);
            a.mov(si, Packet0); a.mov(dl, 0x80); a.mov(ah, 0x42); a.@int(0x13);
            SaveAxFlags(a, Results + 4);
            // The last sector of the disk into 0000:3000.
            Packet(a, Packet0, 1, 0x0000, 0x3000, sectors - 1);
            a.mov(si, Packet0); a.mov(dl, 0x80); a.mov(ah, 0x42); a.@int(0x13);
            SaveAxFlags(a, Results + 8);
            Exit(a, 1);
        }, sectors);
        using var m = new BiosMachine(new DiskImage(image));
        m.Run(50_000_000);

        Assert.Equal(3, m.ExitCode);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0, m.Word((ulong)(Results + 4 * i)) >> 8);          // AH = 0
            Assert.Equal(0, m.Word((ulong)(Results + 4 * i + 2)) & 1);       // CF = 0
        }
        Assert.Equal(ExpectedSectors(100, 127), m.Bytes(0x18000, 127 * 512));
        Assert.Equal(ExpectedSectors(0x10005, 3), m.Bytes(0x200000, 3 * 512));
        Assert.Equal(ExpectedSectors(sectors - 1, 1), m.Bytes(0x3000, 512));
    }

    [Fact]
    public void ChsReadsAndDriveParameterCallsReportTheGeometry()
    {
        byte[] image = Build(a =>
        {
            // CHS read: cylinder 1, head 2, sector 5, 2 sectors → LBA (1 × 16 + 2) × 63 + 4 = 1138, into 0000:3000.
            a.mov(ax, 0x0202); a.mov(cx, 0x0105); a.mov(dx, 0x0280); a.mov(bx, 0x3000); a.@int(0x13);
            SaveAxFlags(a, Results);
            // AH=41h installation check.
            a.mov(ah, 0x41); a.mov(bx, 0x55AA); a.mov(dl, 0x80); a.@int(0x13);
            SaveAxFlags(a, Results + 4);
            a.mov(__word_ptr[Results + 8], bx);
            a.mov(__word_ptr[Results + 10], cx);
            // AH=48h into 0000:0800 with a 1Eh buffer.
            a.mov(__word_ptr[0x800], 0x1E);
            a.mov(ah, 0x48); a.mov(dl, 0x80); a.mov(si, 0x800); a.@int(0x13);
            SaveAxFlags(a, Results + 12);
            // AH=08h parameters.
            a.mov(ah, 0x08); a.mov(dl, 0x80); a.@int(0x13);
            SaveAxFlags(a, Results + 16);
            a.mov(__word_ptr[Results + 20], cx);
            a.mov(__word_ptr[Results + 22], dx);
            // AH=15h type.
            a.mov(ah, 0x15); a.mov(dl, 0x80); a.@int(0x13);
            SaveAxFlags(a, Results + 24);
            a.mov(__word_ptr[Results + 28], cx);
            a.mov(__word_ptr[Results + 30], dx);
            Exit(a, 2);
        }, sectors: 40 * 16 * 63 + 5); // 40 cylinders and change
        using var m = new BiosMachine(new DiskImage(image));
        m.Run();

        Assert.Equal(5, m.ExitCode);
        Assert.Equal(0x0002, m.Word(Results));
        Assert.Equal(ExpectedSectors(1138, 2), m.Bytes(0x3000, 1024));
        Assert.Equal(0x30, m.Word(Results + 4) >> 8);
        Assert.Equal(0, m.Word(Results + 6) & 1);
        Assert.Equal(0xAA55, m.Word(Results + 8));
        Assert.Equal(0x0001, m.Word(Results + 10));

        Assert.Equal(0, m.Word(Results + 14) & 1);
        byte[] p = m.Bytes(0x800, 0x1E);
        Assert.Equal(0x1E, BinaryPrimitives.ReadUInt16LittleEndian(p));
        Assert.Equal(0x0002, BinaryPrimitives.ReadUInt16LittleEndian(p.AsSpan(2)));
        Assert.Equal(40u, BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(4)));
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(8)));
        Assert.Equal(63u, BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(12)));
        Assert.Equal(40UL * 16 * 63 + 5, BinaryPrimitives.ReadUInt64LittleEndian(p.AsSpan(16)));
        Assert.Equal(512, BinaryPrimitives.ReadUInt16LittleEndian(p.AsSpan(24)));
        Assert.Equal(0xFFFF_FFFFu, BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(26)));

        // AH=08h: last cylinder 38 (40 − 1, less the diagnostic cylinder), 63 sectors, last head 15, one drive.
        Assert.Equal(0, m.Word(Results + 18) & 1);
        Assert.Equal((38 << 8) | 63, m.Word(Results + 20));
        Assert.Equal(0x0F01, m.Word(Results + 22));
        // AH=15h: type 3 (hard disk), CX:DX = sectors.
        Assert.Equal(0x03, m.Word(Results + 24) >> 8);
        Assert.Equal(40u * 16 * 63 + 5, ((uint)m.Word(Results + 28) << 16) | m.Word(Results + 30));
    }

    [Fact]
    public void BadRequestsFailWithCarryAndAStatus()
    {
        byte[] image = Build(a =>
        {
            void Call(int slot)
            {
                a.@int(0x13);
                SaveAxFlags(a, Results + 4 * slot);
            }
            Packet(a, Packet0, 2, 0, 0x3000, 4095);        // runs past the last sector (4095 of 4096)
            a.mov(si, Packet0); a.mov(dl, 0x80); a.mov(ah, 0x42); Call(0);
            a.mov(ax, __word_ptr[Packet0 + 2]); a.mov(__word_ptr[Results + 40], ax); // blocks transferred: 0
            Packet(a, Packet0, 1, 0, 0x3000, 0);
            a.mov(si, Packet0); a.mov(dl, 0x81); a.mov(ah, 0x42); Call(1);   // no drive 81h
            a.mov(ax, 0x0201); a.mov(cx, 0x0001); a.mov(dx, 0x0000); a.mov(bx, 0x3000); Call(2); // floppy A:
            a.mov(ah, 0x41); a.mov(bx, 0x1234); a.mov(dl, 0x80); Call(3);   // bad 41h signature
            Packet(a, Packet0, 200, 0, 0x3000, 0);
            a.mov(si, Packet0); a.mov(dl, 0x80); a.mov(ah, 0x42); Call(4);   // count > 127
            a.mov(ah, 0x99); a.mov(dl, 0x80); Call(5);                       // unknown function
            a.mov(ax, 0x0201); a.mov(cx, 0x0040 | 1); a.mov(dx, 0x0080); a.mov(bx, 0x3000); Call(6); // CL = 41h: cylinder 256, beyond the 4 cylinders
            a.mov(ah, 0x01); a.mov(dl, 0x80); Call(7);                       // status of the last operation
            a.mov(ah, 0x15); a.mov(dl, 0x81); Call(8);                       // type of a missing drive: CF = 0, AH = 0
            Exit(a, 4);
        }, sectors: 4096);
        using var m = new BiosMachine(new DiskImage(image));
        m.Run();

        Assert.Equal(9, m.ExitCode);
        (int ah, int cf)[] expected = [(0x04, 1), (0x80, 1), (0x80, 1), (0x01, 1), (0x01, 1), (0x01, 1), (0x04, 1), (0x04, 1), (0x00, 0)];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].ah, m.Word((ulong)(Results + 4 * i)) >> 8);
            Assert.Equal(expected[i].cf, m.Word((ulong)(Results + 4 * i + 2)) & 1);
        }
        Assert.Equal(0, m.Word(Results + 40));
        Assert.Equal(0, m.Word(0x3000)); // nothing was transferred
    }

    [Fact]
    public void WritesGoToTheOverlayAndReadBackWhileTheFileStaysUnchanged()
    {
        byte[] image = Build(a =>
        {
            // Fill 0000:3000 with 0xC3 × 1024 and write it to LBA 200–201 (AH=43h), then sector 300 with CHS AH=03h.
            a.mov(ax, 0); a.mov(es, ax);
            a.mov(di, 0x3000); a.mov(cx, 1024); a.mov(al, 0xC3); a.rep.stosb();
            Packet(a, Packet0, 2, 0, 0x3000, 200);
            a.mov(si, Packet0); a.mov(dl, 0x80); a.mov(ax, 0x4300); a.@int(0x13);
            SaveAxFlags(a, Results);
            // LBA 300 = cylinder 0, head 4, sector 49 (4 × 63 + 48).
            a.mov(ax, 0x0301); a.mov(cx, 49); a.mov(dx, 0x0480); a.mov(bx, 0x3000); a.@int(0x13);
            SaveAxFlags(a, Results + 4);
            // Read LBA 199–202 back into 0000:4000 and LBA 300 into 0000:5000.
            Packet(a, Packet0, 4, 0, 0x4000, 199);
            a.mov(si, Packet0); a.mov(dl, 0x80); a.mov(ah, 0x42); a.@int(0x13);
            Packet(a, Packet0, 1, 0, 0x5000, 300);
            a.mov(si, Packet0); a.mov(dl, 0x80); a.mov(ah, 0x42); a.@int(0x13);
            SaveAxFlags(a, Results + 8);
            Exit(a, 5);
        }, sectors: 1024);
        string path = Path.Combine(Path.GetTempPath(), $"smp-bios-{Guid.NewGuid():N}.img");
        File.WriteAllBytes(path, image);
        try
        {
            using var source = DiskImageSource.Open(path);
            var disk = new DiskImage(source);
            using var m = new BiosMachine(disk);
            m.Run();

            Assert.Equal(11, m.ExitCode);
            Assert.Equal(0, m.Word(Results) >> 8);
            Assert.Equal(0x0001, m.Word(Results + 4));
            Assert.Equal(0, m.Word(Results + 10) & 1);
            byte[] c3 = Enumerable.Repeat((byte)0xC3, 1024).ToArray();
            Assert.Equal(ExpectedSectors(199, 1), m.Bytes(0x4000, 512));
            Assert.Equal(c3, m.Bytes(0x4200, 1024));
            Assert.Equal(ExpectedSectors(202, 1), m.Bytes(0x4600, 512));
            Assert.Equal(c3[..512], m.Bytes(0x5000, 512));
            Assert.Equal(3, disk.OverlaySectors);
            Assert.Equal(image, File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
