using Iced.Intel;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;

namespace Smp.Devices.Tests.Platform.Bios;

public sealed class BiosRomTests
{
    [Fact]
    public void TheResetVectorJumpsToPostAndTheTablesSitInTheRom()
    {
        var pc = new PcPlatform(2, 64UL << 20, _ => { });
        byte[] rom = BiosRom.Build(pc);

        Assert.Equal(BiosRom.Size, rom.Length);
        var decoder = Decoder.Create(16, new ByteArrayCodeReader(rom, 0xFFF0, 5));
        decoder.IP = 0xFFF0;
        Instruction jump = decoder.Decode();
        Assert.Equal(Code.Jmp_ptr1616, jump.Code);
        Assert.Equal((ushort)0xF000, jump.FarBranchSelector);
        Assert.Equal(BiosRom.PostEntry, jump.FarBranch16);
        Assert.Equal(pc.Acpi.Rsdp.Bytes, rom.AsSpan((int)(pc.Acpi.RsdpAddress - BiosRom.Base), pc.Acpi.Rsdp.Bytes.Length).ToArray());
        Assert.Equal(pc.Mp.FloatingPointer.Bytes, rom.AsSpan((int)(MpTable.DefaultFloatingPointerAddress - BiosRom.Base), 16).ToArray());
        Assert.Equal(0xFC, rom[0xFFFE]);
        // Each trap stub is PUSH DX; MOV DX, port; OUT DX, AL; POP DX; IRET.
        Assert.Equal(new byte[] { 0x52, 0xBA, BiosTrapPorts.Disk & 0xFF, BiosTrapPorts.Disk >> 8, 0xEE, 0x5A, 0xCF },
            rom.AsSpan(BiosRom.TrapStub(BiosTrapPorts.Disk), 7).ToArray());
    }

    [Fact]
    public void TablesOverlappingTheRomCodeAreRejected()
    {
        var blob = new FirmwareBlob(0xFE000, new byte[16]);
        var e = Assert.Throws<ArgumentException>(() => BiosRom.Build([blob]));
        Assert.Contains("0xFE000", e.Message);
        byte[] rom = BiosRom.Build([new FirmwareBlob(0x100000, new byte[16])]); // RAM tables are ignored
        Assert.Equal(0, rom[0]);
    }
}
