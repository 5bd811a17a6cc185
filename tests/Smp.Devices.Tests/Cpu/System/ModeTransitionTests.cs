using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.SystemControl;

public class ModeTransitionTests
{
    private const ulong Pml4 = 0x1_0000;

    // Identity map of the first 2 MiB with one 2 MiB page (4-level paging).
    private static void BuildIdentityMap(TestMachine m)
    {
        m.Memory.Write(Pml4, 8, (Pml4 + 0x1000) | 3);
        m.Memory.Write(Pml4 + 0x1000, 8, (Pml4 + 0x2000) | 3);
        m.Memory.Write(Pml4 + 0x2000, 8, 0x83);
    }

    [Fact]
    public void Real_mode_guest_loads_gdt_and_sets_PE_entering_16_bit_protected_mode()
    {
        using var m = TestMachine.RealMode();
        var obs = new RecordingObserver();
        m.Cpu.Observer = obs;
        m.Memory.Write(0x8000, 2, 0x27);
        m.Memory.Write(0x8002, 4, 0x0007_0000);
        m.Load(a =>
        {
            a.lgdt(__[0x8000]);
            a.mov(eax, 0x11u);
            a.mov(cr0, eax);
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0x7_0000UL, m.Cpu.Gdtr.Base);
        Assert.Equal(0x27, m.Cpu.Gdtr.Limit);
        Assert.Equal(0x11UL, m.Cpu.Cr0);
        Assert.Equal(CpuMode.Protected16, m.Cpu.Mode);
        Assert.Equal([(CpuMode.Real, CpuMode.Protected16)], obs.Modes);
        Assert.Equal([(DescriptorTable.Gdt, 0x7_0000UL, 0x27u)], obs.Tables);
    }

    [Fact]
    public void Guest_enables_PAE_LME_and_paging_from_real_mode_activating_IA32e_compatibility_mode()
    {
        using var m = TestMachine.RealMode();
        BuildIdentityMap(m);
        var obs = new RecordingObserver();
        m.Cpu.Observer = obs;
        m.Load(a =>
        {
            a.mov(eax, 0x20u);              // CR4.PAE
            a.mov(cr4, eax);
            a.mov(eax, (uint)Pml4);
            a.mov(cr3, eax);
            a.mov(ecx, 0xC000_0080u);       // EFER.LME
            a.mov(eax, 0x100u);
            a.mov(edx, 0u);
            a.wrmsr();
            a.mov(eax, 0x8000_0011u);       // PG | ET | PE at once
            a.mov(cr0, eax);
            a.hlt();                        // fetched through the new page tables
        });
        SystemTestKit.RunToHalt(m);
        var c = m.Cpu;
        Assert.Equal(0x500UL, c.Efer);      // LME | LMA
        Assert.True(c.LongModeActive);
        Assert.Equal(CpuMode.Compat16, c.Mode); // CS still holds the real-mode cache (D = 0, L = 0)
        Assert.Equal([(CpuMode.Real, CpuMode.Compat16)], obs.Modes);
        Assert.Contains((Msr.Efer, 0x100UL), obs.Msrs);

        // A far jump to a 64-bit code segment (the events helper's instruction) then gives 64-bit mode.
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x10, Limit = 0xFFFF_FFFF, Attributes = 0xA09B };
        c.UpdateMode();
        Assert.Equal(CpuMode.Long64, c.Mode);
        Assert.Equal(64, c.Bitness);
    }

    [Fact]
    public void Setting_PG_with_LME_but_without_PAE_is_GP_and_changes_nothing()
    {
        using var m = TestMachine.Protected32();
        BuildIdentityMap(m);
        m.Load(a =>
        {
            a.mov(ecx, 0xC000_0080u);
            a.mov(eax, 0x100u);
            a.mov(edx, 0u);
            a.wrmsr();
            a.mov(eax, (uint)Pml4);
            a.mov(cr3, eax);
            a.mov(eax, 0x8000_0011u);
            a.mov(cr0, eax);
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0x11UL, m.Cpu.Cr0);
        Assert.Equal(0x100UL, m.Cpu.Efer);
        Assert.Equal(CpuMode.Protected32, m.Cpu.Mode);
    }

    [Fact]
    public void Activating_IA32e_mode_while_CS_L_is_set_is_GP()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        Assert.True(c.TryWriteMsr(Msr.Efer, Msr.EferLme));
        Assert.True(c.TryWriteCr4(CpuCore.Cr4Pae));
        c.Segs[Seg.CS].Attributes = 0xA09B; // L = 1 (ignored outside IA-32e mode)
        Assert.False(c.TryWriteCr0(0x8000_0011));
        Assert.False(c.LongModeActive);
    }

    [Fact]
    public void Clearing_PG_from_compatibility_mode_leaves_IA32e_mode()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        var obs = new RecordingObserver();
        c.Observer = obs;
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x08, Limit = 0xFFFF_FFFF, Attributes = 0xC09B };
        c.UpdateMode();
        Assert.Equal(CpuMode.Compat32, c.Mode);
        Assert.True(c.TryWriteCr0(0x11));
        Assert.False(c.LongModeActive);
        Assert.Equal(0x100UL, c.Efer);      // LME stays, LMA clears
        Assert.Equal(CpuMode.Protected32, c.Mode);
        Assert.Equal([(CpuMode.Compat32, CpuMode.Protected32)], obs.Modes);
    }

    [Fact]
    public void Clearing_PG_in_64_bit_mode_is_GP()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 0x11L);
            a.mov(cr0, rax);
            a.hlt();
        });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(m));
        Assert.Equal(0x8000_0011UL, m.Cpu.Cr0);
        Assert.True(m.Cpu.LongModeActive);
    }

    [Fact]
    public void Entering_PAE_paging_outside_long_mode_loads_PDPTEs_and_rejects_reserved_bits()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        const ulong pdpt = 0x2_0000, pd = 0x2_1000;
        m.Memory.Write(pdpt, 8, pd | 1);
        m.Memory.Write(pd, 8, 0x83);        // 2 MiB identity page
        Assert.True(c.TryWriteCr4(CpuCore.Cr4Pae));
        Assert.True(c.TryWriteCr3(pdpt));
        m.Memory.Write(pdpt + 8, 8, 0x1000 | 1 | 0x4); // bit 2 is reserved in a PAE PDPTE
        Assert.False(c.TryWriteCr0(0x8000_0011));
        Assert.False(c.PagingEnabled);
        m.Memory.Write(pdpt + 8, 8, 0);
        Assert.True(c.TryWriteCr0(0x8000_0011));
        Assert.Equal(CpuMode.Protected32, c.Mode);
        Assert.Equal(0x1_2345UL, c.Translate(0x1_2345, AccessKind.Read));
    }
}
