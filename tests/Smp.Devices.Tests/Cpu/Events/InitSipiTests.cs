using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Events;

public class InitSipiTests
{
    [Fact]
    public void Init_sends_an_ap_to_wait_for_sipi_and_sipi_starts_it_in_real_mode_at_vector_times_4096()
    {
        using var m = TestMachine.LongMode();
        var ap = new CpuCore(m.Memory, apicId: 1, isBsp: false);
        Assert.Equal(RunState.WaitForSipi, ap.State);          // after RESET an AP waits for SIPI
        ap.StartupIpi(0x20);
        ap.Init();
        Assert.Equal(RunState.WaitForSipi, ap.State);
        Assert.Equal(0, ap.Run(100));

        EventRig.Load(m, 0x9A000, 16, (a, l) => { a.mov(eax, 0x1234); a.hlt(); });
        Assert.True(ap.StartupIpi(0x9A));
        Assert.Equal(CpuMode.Real, ap.Mode);
        Assert.Equal(0x9A00, ap.Segs[Seg.CS].Selector);
        Assert.Equal(0x9A000UL, ap.Segs[Seg.CS].Base);
        Assert.Equal(0UL, ap.Rip);
        ap.Run(100);
        Assert.Equal(0x1234UL, ap.R[Reg.RAX]);
        Assert.Equal(RunState.Halted, ap.State);
        Assert.Equal(7UL, ap.Rip);

        // A second SIPI is ignored: not in wait-for-SIPI, and only one is accepted per INIT.
        Assert.False(ap.StartupIpi(0x10));
        Assert.Equal(0x9A00, ap.Segs[Seg.CS].Selector);
        Assert.Equal(RunState.Halted, ap.State);
    }

    [Fact]
    public void Init_on_the_bsp_restarts_at_the_reset_vector()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.Init();
        Assert.Equal(RunState.Running, c.State);
        Assert.Equal(CpuMode.Real, c.Mode);
        Assert.Equal(0xFFFF_0000UL, c.Segs[Seg.CS].Base);
        Assert.Equal(0xFFF0UL, c.Rip);
        Assert.Equal(0xFFFF_0FF0UL, c.Dr6);
        Assert.Equal(0x400UL, c.Dr7);
        Assert.False(c.StartupIpi(0x10));
    }

    [Fact]
    public void Init_leaves_the_tsc_mtrrs_and_apic_base_alone_but_clears_efer_and_the_debug_registers()
    {
        using var m = TestMachine.LongMode();
        var ap = new CpuCore(m.Memory, apicId: 1, isBsp: false);
        ap.AdvanceIdleCycles(5000);                                    // the AP has been powered for 5 µs
        Assert.True(ap.TryWriteMsr(Msr.MtrrDefType, 0xC06));
        Assert.True(ap.TryWriteMsr(Msr.ApicBase, Msr.DefaultApicBase | Msr.ApicBaseEnable | Msr.ApicBaseExtd));
        Assert.True(ap.TryWriteMsr(Msr.Lstar, 0xFFFF_FFFF_8100_0000));
        Assert.Equal(-1, ap.TryWriteDr(7, 0x401));
        ulong tsc = ap.Tsc;

        ap.Init();

        // SDM Vol. 3A §9.1: INIT leaves MSRs and MTRRs unchanged; the TSC keeps counting from power-up.
        Assert.Equal(tsc, ap.Tsc);
        Assert.True(ap.TryReadMsr(Msr.MtrrDefType, out ulong def));
        Assert.Equal(0xC06UL, def);
        Assert.True(ap.X2ApicMode);                                     // §10.12.5.1: INIT keeps x2APIC mode
        Assert.True(ap.TryReadMsr(Msr.Lstar, out ulong lstar));
        Assert.Equal(0xFFFF_FFFF_8100_0000UL, lstar);
        Assert.Equal(0UL, ap.Efer);
        Assert.Equal(0x400UL, ap.Dr7);
        Assert.Equal(RunState.WaitForSipi, ap.State);
    }
}
