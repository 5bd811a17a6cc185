using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Simd;

namespace Smp.Devices.Tests.Cpu.Simd;

public class SimdStateTests
{
    [Fact]
    public void Reset_sets_the_power_up_values_and_INIT_keeps_xmm_mxcsr_and_xcr0()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        SimdRig.SetXmm(c, 4, 0x44);
        c.Mxcsr = 0x1FC0;
        c.Xcr0 = 3;
        c.Init();
        Assert.Equal((0x44UL, 0UL), SimdRig.Xmm(c, 4));
        Assert.Equal(0x1FC0u, c.Mxcsr);
        Assert.Equal(3UL, c.Xcr0);
        c.Reset();
        Assert.Equal((0UL, 0UL), SimdRig.Xmm(c, 4));
        Assert.Equal(Mxcsr.Default, c.Mxcsr);
        Assert.Equal(1UL, c.Xcr0);
    }

    [Fact]
    public void Snapshots_carry_the_extended_state()
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        SimdRig.SetXmm(c, 15, 0xF0F0, 0x0F0F);
        c.Mxcsr = 0x7F80;
        c.Xcr0 = 3;
        c.SetMm(3, 0x3333);
        c.FpuCs = 0x23;
        var state = c.SaveState();
        c.Reset();
        Assert.NotEqual(state, c.SaveState());
        c.RestoreState(state);
        Assert.Equal(state, c.SaveState());
        Assert.Equal((0xF0F0UL, 0x0F0FUL), SimdRig.Xmm(c, 15));
        Assert.Equal(0x7F80u, c.Mxcsr);
        Assert.Equal(0x3333UL, c.GetMm(3));
        Assert.Equal(3UL, c.Xcr0);
        Assert.Equal(0x23, c.FpuCs);
    }
}
