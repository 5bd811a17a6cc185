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
}
