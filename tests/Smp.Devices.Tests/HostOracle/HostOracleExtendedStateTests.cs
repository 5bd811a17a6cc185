using Xunit.Abstractions;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.HostOracle;

public sealed class HostOracleExtendedStateTests(ITestOutputHelper output)
{
    private static MachineState WithFx(Action<FxsaveImage>? change = null)
    {
        var s = MachineState.CreateDefault();
        s.Fx = FxsaveImage.CreateDefault();
        change?.Invoke(s.Fx);
        return s;
    }

    [Fact]
    public void Fld1_pushes_one_and_tags_the_new_top()
    {
        var o = HostCpu.Execute(Asm.Assemble(a => a.fld1()), WithFx()).Out.Fx!;
        output.WriteLine(o.ToString());
        Assert.Equal(7, o.Top);
        Assert.Equal(0x80, o.Ftw);
        Assert.Equal((0x8000_0000_0000_0000UL, (ushort)0x3FFF), o.GetSt(0));
        Assert.Equal(0x037F, o.Fcw);
    }

    [Fact]
    public void Unmasked_zero_divide_sets_es_and_does_not_trap_in_the_harness()
    {
        // ST0 = 1.0, ST1 = 0.0 (TOP = 6), ZE unmasked: FDIV ST0, ST1 leaves ST0 alone and sets ZE and ES.
        var s = WithFx(f =>
        {
            f.Fcw = 0x037F & ~0x04;
            f.Fsw = 6 << 11;
            f.Ftw = 0xC0;
            f.SetSt(0, 0x8000_0000_0000_0000, 0x3FFF);
            f.SetSt(1, 0, 0);
        });
        var o = HostCpu.Execute(Asm.Assemble(a => a.fdiv(st0, st1)), s).Out.Fx!;
        Assert.Equal(0x04 | 0x80, o.Fsw & 0xBF);
        Assert.Equal((0x8000_0000_0000_0000UL, (ushort)0x3FFF), o.GetSt(0));
        Assert.True(o.X87ExceptionPending);
    }

    [Fact]
    public void Sse_instructions_see_the_input_xmm_registers_and_mxcsr()
    {
        var s = WithFx(f =>
        {
            f.SetXmm(1, BitConverter.DoubleToUInt64Bits(1.0), 0);
            f.SetXmm(2, BitConverter.DoubleToUInt64Bits(3.0), 0);
            f.Mxcsr = 0x1F80 | 0x4000; // round up
        });
        var o = HostCpu.Execute(Asm.Assemble(a => a.divsd(xmm1, xmm2)), s).Out.Fx!;
        Assert.Equal(BitConverter.DoubleToUInt64Bits(1.0 / 3.0) + 1, o.GetXmm(1).Low); // nearest rounds 1/3 down, so up is one ulp more
        Assert.Equal(0x1F80 | 0x4000 | 0x20u, o.Mxcsr); // PE
        // The host's own rounding mode came back: managed code still rounds to nearest.
        double third = 1.0 / double.Parse("3");
        Assert.Equal(BitConverter.DoubleToUInt64Bits(1.0 / 3.0), BitConverter.DoubleToUInt64Bits(third));
    }

    [Fact]
    public void Inputs_that_would_trap_on_the_host_are_rejected()
    {
        var pending = WithFx(f => { f.Fcw = 0x037E; f.Fsw = 0x0081; });
        Assert.NotNull(HostCpu.Check(Asm.Assemble(a => a.fld1()), pending));
        Assert.NotNull(HostCpu.Check(Asm.Assemble(a => a.wait()), pending));
        Assert.Null(HostCpu.Check(Asm.Assemble(a => a.fnstsw(ax)), pending)); // non-waiting
        Assert.Null(HostCpu.Check(Asm.Assemble(a => a.fninit()), pending));
        Assert.NotNull(HostCpu.Check(Asm.Assemble(a => a.addsd(xmm0, xmm1)), WithFx(f => f.Mxcsr = 0x1F00)));
        Assert.Null(HostCpu.Check(Asm.Assemble(a => a.paddd(xmm0, xmm1)), WithFx(f => f.Mxcsr = 0x1F80)));
        Assert.NotNull(HostCpu.Check(Asm.Assemble(a => a.fld1()), WithFx(f => f.Mxcsr = 0x8000_1F80)));
        Assert.NotNull(HostCpu.Check(Asm.Assemble(a => a.fld1()), MachineState.CreateDefault())); // no image: x87 refused
    }

    [Fact]
    public void Unmasked_pending_exception_survives_into_the_output_and_the_next_run_is_clean()
    {
        var s = WithFx(f => f.Fcw = 0x037F & ~0x01); // IE unmasked
        s.Fx!.Fsw = 0;
        // FSQRT of an empty ST0: stack underflow, IE + SF, ES; the harness's FXSAVE/FXRSTOR must not trap.
        var o = HostCpu.Execute(Asm.Assemble(a => a.fsqrt()), s).Out.Fx!;
        Assert.Equal(0x41 | 0x80, o.Fsw & 0xFF);
        var again = HostCpu.Execute(Asm.Assemble(a => a.fld1()), WithFx()).Out.Fx!;
        Assert.Equal(0, again.Fsw & 0xFF);
    }

    [Fact]
    public void Host_mxcsr_mask_is_known()
    {
        output.WriteLine($"MXCSR_MASK {HostCpu.HostMxcsrMask:X8}");
        Assert.Equal(0xFFBFu, HostCpu.HostMxcsrMask & 0xFFBF);
    }
}
