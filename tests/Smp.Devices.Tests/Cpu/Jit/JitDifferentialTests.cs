using Smp.Devices.Cpu;

namespace Smp.Devices.Tests.Cpu.Jit;

/// <summary>
/// The interpreter is the reference: random loops (<see cref="RandomProgram"/>) run on two CPUs, one translating hot code
/// and one interpreting only, in the same random quanta; after every quantum the registers, RFLAGS, RIP, retired count,
/// run state and the whole saved CPU state (segments, control registers, CR2, MSRs, x87/SSE, pending events) must be
/// equal, and at the end the memory. A long campaign:
/// <c>SMP_JIT_PROGRAMS=2000 dotnet test tests/Smp.Devices.Tests --filter JitDifferential</c>.
/// </summary>
public class JitDifferentialTests
{
    private const ulong IdtBase = 0x6_0000;

    public static TheoryData<int> Modes => [64, 32, 16];

    [Theory]
    [MemberData(nameof(Modes))]
    public void Random_loops_end_every_quantum_in_the_interpreters_state(int bitness)
    {
        int programs = int.TryParse(Environment.GetEnvironmentVariable("SMP_JIT_PROGRAMS"), out var n) ? n : 40;
        var seeds = new Random(16 + bitness);
        long translated = 0, faults = 0;
        for (int p = 0; p < programs; p++)
        {
            int seed = seeds.Next();
            using var reference = Setup(bitness, seed, jit: false, out ulong data);
            using var jit = Setup(bitness, seed, jit: true, out _);
            var quanta = new Random(seed);
            for (long total = 0; total < 40_000 && jit.Cpu.State == RunState.Running; )
            {
                int quantum = quanta.Next(1, 1500);
                long used = reference.Run(quantum);
                Assert.Equal(used, jit.Run(quantum));
                AssertSameState(reference.Cpu, jit.Cpu, $"{bitness}-bit program {p} (seed {seed}) after {total + quantum} units");
                total += quantum;
            }
            // All of RAM: data, stack, and the page tables' accessed and dirty bits.
            Assert.True(reference.Memory.Ram.SequenceEqual(jit.Memory.Ram), $"{bitness}-bit program {p} (seed {seed}): memory differs");
            translated += jit.Cpu.InstructionsTranslated;
            faults += (long)reference.Memory.Read(data + RandomProgram.FaultCountOffset, 4);
        }
        Assert.True(translated > programs * 1000L, $"only {translated} instructions ran translated");
        Assert.True(faults > 0, "no program faulted: the fault paths went untested");
    }

    internal static void AssertSameState(CpuCore expected, CpuCore actual, string where)
    {
        for (int r = 0; r < 16; r++) Assert.True(expected.R[r] == actual.R[r], $"{where}: R{r} {expected.R[r]:X} vs {actual.R[r]:X}");
        Assert.True(expected.GetRflags() == actual.GetRflags(), $"{where}: RFLAGS {expected.GetRflags():X} vs {actual.GetRflags():X}");
        Assert.True(expected.Rip == actual.Rip, $"{where}: RIP {expected.Rip:X} vs {actual.Rip:X}");
        Assert.True(expected.InstructionsRetired == actual.InstructionsRetired,
            $"{where}: retired {expected.InstructionsRetired} vs {actual.InstructionsRetired}");
        Assert.Equal(expected.State, actual.State);
        Assert.Equal(expected.ShutdownReason, actual.ShutdownReason);
        // Everything else a snapshot holds: segments, control and debug registers, CR2, MSRs, x87/SSE state, events.
        Assert.Equal(expected.SaveState(), actual.SaveState());
    }

    private static TestMachine Setup(int bitness, int seed, bool jit, out ulong data)
    {
        var rnd = new Random(seed);
        var m = bitness switch
        {
            64 => TestMachine.LongMode(8 << 20),
            32 => TestMachine.Protected32(8 << 20),
            _ => TestMachine.RealMode(1 << 20),
        };
        m.Cpu.CompileHotBlocks = jit;
        m.Cpu.JitThreshold = 3;
        ulong code = bitness == 16 ? 0x7C00UL : TestMachine.CodeBase;
        data = bitness == 16 ? 0x9000UL : TestMachine.DataBase;
        var program = RandomProgram.Build(bitness, code, rnd.Next(8, 48), rnd, out ulong handler);
        m.Memory.Load(code, program);
        WriteVectors(m, bitness, handler);

        var window = new byte[RandomProgram.Window];
        rnd.NextBytes(window);
        m.Memory.Load(data, window);
        m.Memory.Write(data + RandomProgram.CounterOffset, 4, (ulong)rnd.Next(20, 400));
        for (int r = 0; r < 16; r++)
            if (r != Reg.RSP) m.Cpu.R[r] = (ulong)rnd.NextInt64();
        m.Cpu.R[Reg.RSI] = data;
        m.Cpu.Rip = code;
        return m;
    }

    // Every vector goes to the program's fault handler.
    private static void WriteVectors(TestMachine m, int bitness, ulong handler)
    {
        switch (bitness)
        {
            case 64:
                for (ulong v = 0; v < 256; v++)
                {
                    ulong low = (handler & 0xFFFF) | (0x10UL << 16) | (0x8EUL << 40) | ((handler >> 16 & 0xFFFF) << 48);
                    m.Memory.Write(IdtBase + v * 16, 8, low);
                    m.Memory.Write(IdtBase + v * 16 + 8, 8, handler >> 32);
                }
                m.Cpu.Idtr = new DescriptorTableRegister { Base = IdtBase, Limit = 0xFFF };
                break;
            case 32:
                for (ulong v = 0; v < 256; v++)
                    m.Memory.Write(IdtBase + v * 8, 8, (handler & 0xFFFF) | (0x08UL << 16) | (0x8EUL << 40) | ((handler >> 16 & 0xFFFF) << 48));
                m.Cpu.Idtr = new DescriptorTableRegister { Base = IdtBase, Limit = 0x7FF };
                break;
            default:
                for (ulong v = 0; v < 256; v++) m.Memory.Write(v * 4, 4, handler & 0xFFFF);
                break;
        }
    }
}
