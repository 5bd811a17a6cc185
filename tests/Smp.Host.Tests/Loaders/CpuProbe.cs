using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Tests.Loaders;

/// <summary>
/// What the simulated CPU can do, found by running code on a bare core in real mode: an instruction executes or
/// faults; CPUID reports a feature. The kvm-unit-tests table uses it to tell a test that must pass from one that
/// waits for a CPU feature another branch builds.
/// </summary>
internal static class CpuProbe
{
    private const ulong Code = 0x1000, FaultStub = 0x2000;
    private const byte Done = 0x5A, Faulted = 0xEE;

    /// <summary>True when <paramref name="instruction"/> (machine code) executes in real mode without raising an exception.</summary>
    public static bool Executes(params byte[] instruction)
    {
        var core = Run(a =>
        {
            a.db(instruction);
            a.mov(bl, Done);
            a.hlt();
        });
        return (byte)core.R[Reg.RBX] == Done;
    }

    /// <summary>CPUID leaf <paramref name="leaf"/>, sub-leaf <paramref name="subleaf"/>, as the guest sees it.</summary>
    public static (uint Eax, uint Ebx, uint Ecx, uint Edx) Cpuid(uint leaf, uint subleaf = 0)
    {
        var core = Run(a =>
        {
            a.mov(eax, leaf);
            a.mov(ecx, subleaf);
            a.cpuid();
            a.hlt();
        });
        return ((uint)core.R[Reg.RAX], (uint)core.R[Reg.RBX], (uint)core.R[Reg.RCX], (uint)core.R[Reg.RDX]);
    }

    private static CpuCore Run(Action<Assembler> build)
    {
        using var memory = new PhysicalMemory(1 << 20);
        var a = new Assembler(16);
        build(a);
        var code = new MemoryStream();
        a.Assemble(new StreamCodeWriter(code), Code);
        memory.Load(Code, code.ToArray());
        memory.Load(FaultStub, [0xB3, Faulted, 0xF4]); // mov bl, 0xEE; hlt
        for (uint vector = 0; vector < 32; vector++) memory.Write(vector * 4, 4, FaultStub);
        var core = new CpuCore(memory);
        core.Segs[Seg.CS] = SegmentRegister.RealMode(0, 0x9B);
        core.Rip = Code;
        core.Run(1000);
        return core;
    }
}
