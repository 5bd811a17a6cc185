using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Transfer;

public class InputOutputTests
{
    private sealed class FakePorts : IPortBus
    {
        public readonly List<(ushort Port, int Size, uint Value)> Writes = [];
        public readonly List<(ushort Port, int Size)> Reads = [];
        public uint In(ushort port, int size) { Reads.Add((port, size)); return 0x8765_4321u + port; }
        public void Out(ushort port, int size, uint value) => Writes.Add((port, size, value));
    }

    private const ulong Tss = 0x6_0000;

    // A 64-bit TSS with the bitmap at 0x68, all ports allowed except 0x3F8-0x3FF; limit covers the bitmap + 0xFF byte.
    private static void SetUpTss(TestMachine m, uint limit = 0x68 + 0x2000)
    {
        m.Memory.Write(Tss + 0x66, 2, 0x68);
        for (ulong i = 0; i < 0x2001; i++) m.Memory.Write(Tss + 0x68 + i, 1, i == 0x2000 ? 0xFFUL : 0);
        m.Memory.Write(Tss + 0x68 + 0x3F8 / 8, 1, 0xFF);
        m.Cpu.Tr = new SegmentRegister { Selector = 0x28, Base = Tss, Limit = limit, Attributes = 0x8B };
    }

    [Fact]
    public void In_and_out_reach_the_port_bus_with_their_sizes()
    {
        using var m = TestMachine.LongMode();
        var ports = new FakePorts();
        var c = m.Cpu;
        c.Ports = ports;
        c.R[Reg.RAX] = 0xFFFF_FFFF_FFFF_FFFFUL;
        m.Load(a =>
        {
            a.mov(dx, 0x3F8);
            a.mov(al, 0x41);
            a.@out(dx, al);
            a.@out(0x80, ax);
            a.@in(al, 0x60);
            a.mov(rbx, rax);
            a.@in(eax, dx);
            a.hlt();
        });
        m.Run();
        Assert.Equal([((ushort)0x3F8, 1, 0x41u), ((ushort)0x80, 2, 0xFF41u)], ports.Writes);
        Assert.Equal([((ushort)0x60, 1), ((ushort)0x3F8, 4)], ports.Reads);
        Assert.Equal(0xFFFF_FFFF_FFFF_FF81UL, c.R[Reg.RBX]);   // AL = 0x21 + 0x60
        Assert.Equal(0x8765_4719UL, c.R[Reg.RAX]);             // zero-extended
    }

    [Fact]
    public void Rep_outsb_and_rep_insw_move_strings_through_a_port()
    {
        using var m = TestMachine.LongMode();
        var ports = new FakePorts();
        var c = m.Cpu;
        c.Ports = ports;
        m.Memory.Load(TestMachine.DataBase, "abc"u8);
        m.Load(a =>
        {
            a.mov(dx, 0xE9);
            a.mov(rsi, (long)TestMachine.DataBase);
            a.mov(rcx, 3L);
            a.rep.outsb();
            a.mov(rdi, (long)TestMachine.DataBase + 0x100);
            a.mov(rcx, 2L);
            a.rep.insw();
            a.hlt();
        });
        m.Run();
        Assert.Equal([((ushort)0xE9, 1, (uint)'a'), ((ushort)0xE9, 1, (uint)'b'), ((ushort)0xE9, 1, (uint)'c')], ports.Writes);
        Assert.Equal(0x440A_440AUL, m.Memory.Read(TestMachine.DataBase + 0x100, 4));   // (0x87654321 + 0xE9) & 0xFFFF twice
        Assert.Equal(TestMachine.DataBase + 0x104, c.R[Reg.RDI]);
        Assert.Equal(TestMachine.DataBase + 3, c.R[Reg.RSI]);
    }

    [Fact]
    public void Io_bitmap_denies_ports_at_cpl3_and_allows_the_rest()
    {
        using var m = TestMachine.LongMode();
        var ports = new FakePorts();
        var c = m.Cpu;
        c.Ports = ports;
        SetUpTss(m);
        c.Cpl = 3;
        c.UpdateMode();
        c.R[Reg.RDX] = 0x3F8;
        m.Load(a => { a.@in(al, 0x60); a.@out(dx, al); });
        Assert.Null(Stepper.Step(m));
        ulong outAt = c.Rip;
        var f = Stepper.Step(m);
        Assert.Equal(Vector.GP, f?.Vector);
        Assert.Equal(0u, f!.ErrorCode);
        Assert.Equal(outAt, c.Rip);
        Assert.Empty(ports.Writes);
        Assert.Single(ports.Reads);
    }

    [Fact]
    public void Io_access_spanning_into_a_denied_port_is_denied()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.Ports = new FakePorts();
        SetUpTss(m);
        c.Cpl = 3;
        c.UpdateMode();
        c.R[Reg.RDX] = 0x3F7;
        m.Load(a => { a.@in(al, dx); a.@in(ax, dx); });
        Assert.Null(Stepper.Step(m));
        Assert.Equal(Vector.GP, Stepper.Step(m)?.Vector);
    }

    [Fact]
    public void Io_bitmap_bytes_beyond_the_tss_limit_deny_access()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.Ports = new FakePorts();
        SetUpTss(m, limit: 0x68 + 0x10);
        c.Cpl = 3;
        c.UpdateMode();
        m.Load(a => { a.@in(al, 0x60); a.@in(al, 0x90); });
        Assert.Null(Stepper.Step(m));                      // bitmap bytes 0x0C-0x0D are inside
        Assert.Equal(Vector.GP, Stepper.Step(m)?.Vector);  // bytes 0x12-0x13 are not
    }

    [Fact]
    public void Iopl_3_or_cpl_0_skips_the_bitmap()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        var ports = new FakePorts();
        c.Ports = ports;
        c.Tr = new SegmentRegister { Limit = 0, Attributes = 0x8B };   // no bitmap at all
        c.R[Reg.RDX] = 0x3F8;
        m.Load(a => { a.@out(dx, al); a.@out(dx, al); });
        Assert.Null(Stepper.Step(m));
        c.Cpl = 3;
        c.UpdateMode();
        c.SetRflags(Rflags.Reserved1 | Rflags.IOPL);
        Assert.Null(Stepper.Step(m));
        Assert.Equal(2, ports.Writes.Count);
    }

    [Fact]
    public void Real_mode_in_and_out_have_no_permission_check()
    {
        using var m = TestMachine.RealMode();
        var ports = new FakePorts();
        m.Cpu.Ports = ports;
        m.Load(a => { a.mov(al, 0x11); a.@out(0x70, al); a.hlt(); });
        m.Run();
        Assert.Equal([((ushort)0x70, 1, 0x11u)], ports.Writes);
    }
}
