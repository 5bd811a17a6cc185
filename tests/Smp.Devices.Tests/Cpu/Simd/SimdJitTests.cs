using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Simd;

/// <summary>Hot SIMD loops run translated by the JIT (which calls the SIMD handlers) and end as the interpreter.</summary>
public class SimdJitTests
{
    private sealed record Outcome(ulong[] Xmm, ulong[] Gprs, uint Mxcsr, byte[] Data, long Retired, long Compiled, RunState State);

    private static Outcome Run(bool compile)
    {
        using var m = SimdRig.LongMode();
        var c = m.Cpu;
        c.CompileHotBlocks = compile;
        m.Load(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            a.mov(rcx, 600L);
            a.mov(rsi, (long)SimdRig.Data);
            a.Label(ref top);
            a.cvtsi2sd(xmm0, rcx);
            a.mulsd(xmm0, xmm0);
            a.sqrtsd(xmm1, xmm0);
            a.addpd(xmm2, xmm1);
            a.cvtsi2ss(xmm3, ecx);
            a.divss(xmm3, xmm2);
            a.shufps(xmm3, xmm3, 0x1B);
            a.paddd(xmm4, xmm3);
            a.pshufb(xmm5, xmm4);
            a.pcmpeqb(xmm5, xmm4);
            a.pmovmskb(eax, xmm5);
            a.add(rdx, rax);
            a.movdqu(__xmmword_ptr[rsi + rcx * 8], xmm4);
            a.paddw(mm1, mm0);
            a.movq(mm0, rcx);
            a.dec(rcx);
            a.jne(top);
            a.emms();
            a.hlt();
        });
        m.Run(1_000_000);
        var data = new byte[600 * 8 + 16];
        m.Memory.Copy(SimdRig.Data, data);
        return new Outcome((ulong[])c.Xmm.Clone(), [.. Enumerable.Range(0, 16).Select(r => c.R[r])], c.Mxcsr, data,
            c.InstructionsRetired, c.BlocksCompiled, c.State);
    }

    [Fact]
    public void Translated_SIMD_loops_end_in_the_interpreters_state()
    {
        var interpreted = Run(compile: false);
        var compiled = Run(compile: true);
        Assert.Equal(RunState.Halted, interpreted.State);
        Assert.Equal(interpreted.Xmm, compiled.Xmm);
        Assert.Equal(interpreted.Gprs, compiled.Gprs);
        Assert.Equal(interpreted.Mxcsr, compiled.Mxcsr);
        Assert.Equal(interpreted.Data, compiled.Data);
        Assert.Equal(interpreted.Retired, compiled.Retired);
        Assert.True(compiled.Compiled >= 1, "the hot SIMD block was not compiled");
    }
}
