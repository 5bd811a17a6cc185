using System.Text;
using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.SystemControl;

public class CpuidTscTests
{
    private static (uint A, uint B, uint C, uint D) RunCpuid(uint leaf, uint subleaf = 0, int apicId = 0)
    {
        using var mem = new PhysicalMemory(4 << 20);
        var c = new CpuCore(mem, apicId: apicId);
        // Real mode at reset is enough for CPUID: place the code at the reset vector's segment.
        for (int s = 0; s < 6; s++) c.Segs[s] = SegmentRegister.RealMode(0);
        c.Rip = 0x7C00;
        c.UpdateMode();
        var a = new Assembler(16);
        a.mov(eax, leaf);
        a.mov(ecx, subleaf);
        a.cpuid();
        a.hlt();
        var ms = new MemoryStream();
        a.Assemble(new StreamCodeWriter(ms), 0x7C00);
        mem.Load(0x7C00, ms.ToArray());
        c.Run(100);
        Assert.Equal(RunState.Halted, c.State);
        return ((uint)c.R[0], (uint)c.R[3], (uint)c.R[1], (uint)c.R[2]);
    }

    private static string Ascii(params uint[] dwords)
    {
        var sb = new StringBuilder();
        foreach (var d in dwords)
            for (int i = 0; i < 4; i++) sb.Append((char)((d >> (8 * i)) & 0xFF));
        return sb.ToString();
    }

    [Fact]
    public void Leaf_0_reports_max_leaf_and_GenuineIntel()
    {
        var (a, b, c, d) = RunCpuid(0);
        Assert.Equal(0x16u, a);
        Assert.Equal("GenuineIntel", Ascii(b, d, c));
    }

    [Fact]
    public void Leaf_1_reports_signature_apic_id_and_exactly_the_implemented_features()
    {
        var (a, b, c, d) = RunCpuid(1, apicId: 5);
        Assert.Equal(CpuCore.CpuidSignature, a);
        Assert.Equal(5u, b >> 24);                   // initial APIC ID
        Assert.Equal(1u, (b >> 16) & 0xFF);          // one logical processor per package
        Assert.Equal(8u, (b >> 8) & 0xFF);           // CLFLUSH line 64 bytes
        // SSE3 SSSE3 CX16 SSE4.1 SSE4.2 x2APIC MOVBE POPCNT XSAVE RDRAND (no TSC-deadline without an APIC; OSXSAVE off).
        Assert.Equal(0x44F8_2201u, c);
        // FPU DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 SS.
        Assert.Equal(0x0F8B_FBFDU, d);
    }

    [Fact]
    public void Leaf_0B_reports_x2apic_topology_with_one_thread_per_core()
    {
        var smt = RunCpuid(0xB, 0, apicId: 7);
        Assert.Equal((0u, 1u, 0x100u, 7u), smt);
        var core = RunCpuid(0xB, 1, apicId: 7);
        Assert.Equal((0u, 1u, 0x201u, 7u), core);
        var end = RunCpuid(0xB, 2, apicId: 7);
        Assert.Equal((0u, 0u, 2u, 7u), end);
    }

    [Fact]
    public void Extended_leaves_report_long_mode_nx_syscall_brand_and_address_sizes()
    {
        Assert.Equal(0x8000_0008u, RunCpuid(0x8000_0000).A);
        var ext = RunCpuid(0x8000_0001);
        Assert.Equal(1u | 1u << 5 | 1u << 8, ext.C); // LAHF/SAHF, LZCNT, PREFETCHW
        Assert.Equal(1u << 11 | 1u << 20 | 1u << 26 | 1u << 27 | 1u << 29, ext.D);   // SYSCALL NX 1GB-pages RDTSCP LM
        var b2 = RunCpuid(0x8000_0002);
        var b3 = RunCpuid(0x8000_0003);
        var b4 = RunCpuid(0x8000_0004);
        string brand = Ascii(b2.A, b2.B, b2.C, b2.D, b3.A, b3.B, b3.C, b3.D, b4.A, b4.B, b4.C, b4.D);
        Assert.Equal("Smp virtual Intel Core (Ice Lake) @ 1.00GHz", brand.TrimEnd('\0'));
        Assert.Equal(0x3027u, RunCpuid(0x8000_0008).A); // 48-bit linear, 39-bit physical
    }

    [Fact]
    public void Leaves_above_the_maximum_return_the_highest_basic_leaf()
    {
        Assert.Equal(RunCpuid(0x16, 1, apicId: 3), RunCpuid(0x20, 1, apicId: 3));
        Assert.Equal(RunCpuid(0x16, 0, apicId: 3), RunCpuid(0x8000_0009, 0, apicId: 3));
    }

    [Fact]
    public void Rdtsc_at_CPL_0_equals_retired_instructions_times_CPI_and_is_monotonic()
    {
        using var m = TestMachine.LongMode();
        m.Cpu.CyclesPerInstruction = 3;
        m.Load(a =>
        {
            a.nop();
            a.nop();
            a.rdtsc();                       // 2 instructions retired before it
            a.mov(rbx, rax);
            a.rdtsc();                       // 4 retired
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(6UL, m.Cpu.R[Reg.RBX]);
        Assert.Equal(12UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(0UL, m.Cpu.R[Reg.RDX]);
        Assert.Equal((ulong)m.Cpu.InstructionsRetired * 3, m.Cpu.Tsc);
    }

    [Fact]
    public void Rdtsc_counts_instructions_of_earlier_blocks_and_idle_cycles()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            var next = a.CreateLabel();
            a.nop();
            a.jmp(next);                     // ends the first block
            a.Label(ref next);
            a.nop();
            a.rdtsc();
            a.hlt();
        });
        m.Cpu.AdvanceIdleCycles(1000);
        SystemTestKit.RunToHalt(m);
        Assert.Equal(1003UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal(5UL + 1000, m.Cpu.ElapsedCycles);
        Assert.Equal(1005L, m.Cpu.SimulatedNanoseconds);   // 1 GHz default
        m.Cpu.FrequencyHz = 2_000_000_000;
        Assert.Equal(502L, m.Cpu.SimulatedNanoseconds);
    }

    [Fact]
    public void Rdtsc_with_CR4_TSD_at_CPL_3_is_GP_but_allowed_at_CPL_0()
    {
        using var m = TestMachine.LongMode();
        m.Cpu.Cr4 |= CpuCore.Cr4Tsd;
        m.Load(a => { a.rdtsc(); a.hlt(); });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0UL, m.Cpu.R[Reg.RAX]);

        using var u = TestMachine.LongMode();
        u.Cpu.Cr4 |= CpuCore.Cr4Tsd;
        SystemTestKit.EnterUserMode(u.Cpu);
        u.Cpu.R[Reg.RAX] = 0x55;
        u.Load(a => { a.rdtsc(); a.hlt(); });
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(u));
        Assert.Equal(0x55UL, u.Cpu.R[Reg.RAX]);
    }

    [Fact]
    public void Rdtscp_returns_TSC_AUX_in_ECX_and_works_at_CPL_3_without_TSD()
    {
        using var m = TestMachine.LongMode();
        Assert.True(m.Cpu.TryWriteMsr(Msr.TscAux, 0x42));
        SystemTestKit.EnterUserMode(m.Cpu);
        m.Load(a =>
        {
            a.nop();
            a.rdtscp();
            a.db(0xF4);                     // HLT at CPL 3 faults: stop here
        });
        SystemTestKit.RunToFault(m);
        Assert.Equal(0x42UL, m.Cpu.R[Reg.RCX]);
        Assert.Equal(1UL, m.Cpu.R[Reg.RAX]);
    }
}
