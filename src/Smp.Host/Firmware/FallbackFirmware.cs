using Iced.Intel;
using Smp.Devices.Platform;
using Smp.Devices.Platform.Firmware;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Firmware;

/// <summary>
/// A stand-in until the real BIOS is merged: a 4 KiB ROM whose POST points INT 10h/13h/15h/16h/19h/1Ah at trap
/// stubs, loads the boot sector through a boot trap and jumps to 0000:7C00 with DL = 0x80. Its services only boot:
/// every INT service call fails with CF = 1 and AH = 0x86 ("unsupported"). Enough for boot sectors that talk to
/// COM1 and the debug-exit port directly.
/// </summary>
internal sealed class FallbackFirmware : IFirmwareProvider
{
    private const ushort RomSegment = 0xF000, StubBase = 0xF000, PostOffset = 0xF100, StubSize = 8;
    private const ushort BootTrap = BiosTrap.TrapPortBase + 8;
    private static readonly byte[] Vectors = [0x10, 0x13, 0x15, 0x16, 0x19, 0x1A];

    /// <inheritdoc />
    public string Name => "fallback firmware (boot loader only)";

    /// <inheritdoc />
    public byte[] Rom { get; } = BuildRom();

    /// <inheritdoc />
    public IBiosServices CreateServices(BiosServicesContext context) => new Services(context);

    private static byte[] BuildRom()
    {
        var rom = new byte[0x1000];
        Array.Fill(rom, (byte)0xF4);
        for (int i = 0; i < Vectors.Length; i++)
        {
            var stub = new Assembler(16);
            BiosTrap.EmitTrap(stub, (ushort)(BiosTrap.TrapPortBase + i));
            stub.iret();
            var code = new MemoryStream();
            stub.Assemble(new StreamCodeWriter(code), (ulong)(StubBase + (i * StubSize)));
            code.ToArray().CopyTo(rom, i * StubSize);
        }

        var a = new Assembler(16);
        a.cli();
        a.xor(ax, ax);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(ss, ax);
        a.mov(sp, 0x7C00);
        for (int i = 0; i < Vectors.Length; i++)
        {
            a.mov(__word_ptr[Vectors[i] * 4], (ushort)(StubBase + (i * StubSize)));
            a.mov(__word_ptr[(Vectors[i] * 4) + 2], RomSegment);
        }

        // A fake INT frame so the boot trap's FLAGS image lands in the stack, not in the boot sector.
        a.pushf();
        a.push(cs);
        a.push(0);
        BiosTrap.EmitTrap(a, BootTrap);
        a.add(sp, 6);
        a.mov(dl, 0x80);
        a.db(0xEA, 0x00, 0x7C, 0x00, 0x00); // jmp far 0000:7C00
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), (RomSegment << 4) + PostOffset);
        stream.ToArray().CopyTo(rom, PostOffset - StubBase);
        byte[] reset = [0xEA, (byte)(PostOffset & 0xFF), (byte)(PostOffset >> 8), 0x00, 0xF0]; // jmp far F000:F100
        reset.CopyTo(rom, 0xFF0);
        return rom;
    }

    private sealed class Services(BiosServicesContext context) : IBiosServices
    {
        public void Handle(int cpu, ushort trapPort, ref BiosRegisters registers)
        {
            if (trapPort == BootTrap)
            {
                context.Memory.Load(0x7C00, context.Disk.Span[..512]);
                registers.Edx = 0x80;
                return;
            }

            registers.Ah = 0x86;
            registers.Carry = true;
        }
    }
}
