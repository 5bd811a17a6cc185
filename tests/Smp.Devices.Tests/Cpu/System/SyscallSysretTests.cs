using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.SystemControl;

public class SyscallSysretTests
{
    private const ulong UserCode = TestMachine.CodeBase + 0x1000;
    private const ulong KernelEntry = TestMachine.CodeBase + 0x2000;

    private static void Wrmsr(Assembler a, uint msr, ulong value)
    {
        a.mov(ecx, msr);
        a.mov(eax, (uint)value);
        a.mov(edx, (uint)(value >> 32));
        a.wrmsr();
    }

    // Kernel set-up as Linux does it (fact sheet B1): STAR = USER32_CS 0x23 << 48 | KERNEL_CS 0x10 << 32.
    private static void KernelSetup(Assembler a, ulong efer = 0x501)
    {
        Wrmsr(a, Msr.Efer, efer);
        Wrmsr(a, Msr.Star, 0x0023_0010_0000_0000);
        Wrmsr(a, Msr.Lstar, KernelEntry);
        Wrmsr(a, Msr.Fmask, 0x240);                     // IF | ZF
    }

    [Fact]
    public void Syscall_sysret_round_trip_switches_CPL_0_to_3_to_0_with_flat_segment_caches()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a =>
        {
            KernelSetup(a);                             // 16 instructions
            a.mov(rcx, (long)UserCode);
            a.mov(r11, 0x246L);                         // IF | ZF | PF | bit 1
            a.sysretq();                                // 19th instruction
        });
        m.Load(UserCode, a =>
        {
            a.mov(ebx, 0x77u);                          // 5 bytes
            a.syscall();
        });
        m.Load(KernelEntry, a => a.hlt());

        Assert.Equal(19, m.Run(19));
        Assert.Null(c.FirstFault);
        Assert.Equal(3, c.Cpl);
        Assert.Equal(UserCode, c.Rip);
        Assert.Equal(CpuMode.Long64, c.Mode);
        Assert.Equal(new SegmentRegister { Selector = 0x33, Limit = 0xFFFF_FFFF, Attributes = 0xA0FB }, c.Segs[Seg.CS]);
        Assert.Equal(new SegmentRegister { Selector = 0x2B, Limit = 0xFFFF_FFFF, Attributes = 0xC0F3 }, c.Segs[Seg.SS]);
        Assert.Equal(0x246UL, c.GetRflags());

        SystemTestKit.RunToHalt(m);
        Assert.Equal(0, c.Cpl);
        Assert.Equal(KernelEntry + 1, c.Rip);
        Assert.Equal(new SegmentRegister { Selector = 0x10, Limit = 0xFFFF_FFFF, Attributes = 0xA09B }, c.Segs[Seg.CS]);
        Assert.Equal(new SegmentRegister { Selector = 0x18, Limit = 0xFFFF_FFFF, Attributes = 0xC093 }, c.Segs[Seg.SS]);
        Assert.Equal(0x77UL, c.R[Reg.RBX]);
        Assert.Equal(UserCode + 5 + 2, c.R[Reg.RCX]);   // return address: after SYSCALL
        Assert.Equal(0x246UL, c.R[Reg.R8 + 3]);          // R11 = user RFLAGS
        Assert.Equal(0x006UL, c.GetRflags());            // FMASK cleared IF and ZF
    }

    [Fact]
    public void Sysret_without_REX_W_returns_to_compatibility_mode_at_ECX()
    {
        using var m = TestMachine.LongMode();
        var obs = new RecordingObserver();
        m.Cpu.Observer = obs;
        m.Load(a =>
        {
            KernelSetup(a);
            a.mov(rcx, unchecked((long)0xFFFF_FFFF_0020_0000UL));
            a.mov(r11, 0x2L);
            a.sysret();
        });
        Assert.Equal(19, m.Run(19));
        var c = m.Cpu;
        Assert.Equal(0x20_0000UL, c.Rip);
        Assert.Equal(CpuMode.Compat32, c.Mode);
        Assert.Equal((ushort)0x23, c.Segs[Seg.CS].Selector);
        Assert.Equal((ushort)0x2B, c.Segs[Seg.SS].Selector);
        Assert.Equal([(CpuMode.Long64, CpuMode.Compat32)], obs.Modes);
    }

    [Fact]
    public void Sysret_to_a_non_canonical_RCX_is_GP_at_CPL_0()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            KernelSetup(a);
            a.mov(rcx, 0x0000_8000_0000_0000L);
            a.sysretq();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0, m.Cpu.Cpl);
        Assert.Equal((ushort)0x10, m.Cpu.Segs[Seg.CS].Selector);
    }

    [Fact]
    public void Syscall_without_EFER_SCE_is_UD()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => a.syscall());
        Assert.Equal((Vector.UD, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0UL, m.Cpu.R[Reg.RCX]);
    }

    [Fact]
    public void Sysret_at_CPL_3_is_GP()
    {
        using var m = TestMachine.LongMode();
        Assert.True(m.Cpu.TryWriteMsr(Msr.Efer, 0x501));
        SystemTestKit.EnterUserMode(m.Cpu);
        m.Load(a => a.sysretq());
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
    }

    [Fact]
    public void Sysexit_and_sysenter_round_trip_in_32_bit_protected_mode()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        const uint user = 0x11_0000, kernel = 0x12_0000;
        m.Load(a =>
        {
            Wrmsr(a, Msr.SysenterCs, 0x08);
            Wrmsr(a, Msr.SysenterEsp, 0x1F_0000);
            Wrmsr(a, Msr.SysenterEip, kernel);
            a.mov(edx, user);
            a.mov(ecx, 0x1E_0000u);
            a.sysexit();                                 // 15th instruction
        });
        m.Load(user, a => a.sysenter());
        m.Load(kernel, a => a.hlt());
        Assert.Equal(15, m.Run(15));
        Assert.Equal(3, c.Cpl);
        Assert.Equal(user, c.Rip);
        Assert.Equal(0x1E_0000UL, c.R[Reg.RSP]);
        Assert.Equal((ushort)0x1B, c.Segs[Seg.CS].Selector);
        Assert.Equal((ushort)0x23, c.Segs[Seg.SS].Selector);
        Assert.Equal(CpuMode.Protected32, c.Mode);

        SystemTestKit.RunToHalt(m);
        Assert.Equal(0, c.Cpl);
        Assert.Equal(0x1F_0000UL, c.R[Reg.RSP]);
        Assert.Equal(new SegmentRegister { Selector = 0x08, Limit = 0xFFFF_FFFF, Attributes = 0xC09B }, c.Segs[Seg.CS]);
        Assert.Equal((ushort)0x10, c.Segs[Seg.SS].Selector);
    }
}
