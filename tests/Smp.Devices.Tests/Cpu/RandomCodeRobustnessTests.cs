using Smp.Devices.Cpu;

namespace Smp.Devices.Tests.Cpu;

/// <summary>
/// Guest code can never crash the simulator: random bytes executed in every mode end in guest
/// faults, halts or shutdown, never in a host exception. The IDT is garbage too, so delivery
/// itself faults, escalates to #DF and shutdown, which must be handled as well.
/// A long campaign: <c>SMP_FUZZ_PROGRAMS=20000 dotnet test tests/Smp.Devices.Tests --filter RandomCodeRobustness</c>.
/// </summary>
public class RandomCodeRobustnessTests
{
    public static TheoryData<string> Modes => ["real", "protected32", "long64"];

    [Theory]
    [MemberData(nameof(Modes))]
    public void Random_bytes_never_escape_the_core_as_host_exceptions(string mode)
    {
        var random = new Random(20261121);
        int programs = int.TryParse(Environment.GetEnvironmentVariable("SMP_FUZZ_PROGRAMS"), out var n) ? n : 200;
        for (int program = 0; program < programs; program++)
        {
            using var m = mode switch
            {
                "real" => TestMachine.RealMode(8 << 20),
                "protected32" => TestMachine.Protected32(8 << 20),
                _ => TestMachine.LongMode(8 << 20),
            };
            var code = new byte[4096];
            random.NextBytes(code);
            ulong at = mode == "real" ? 0x7C00UL : TestMachine.CodeBase;
            m.Memory.Load(at, code);
            // Random registers too, so memory operands point anywhere (inside and outside RAM).
            for (int r = 0; r < 16; r++)
                if (r != Reg.RSP) m.Cpu.R[r] = (ulong)random.NextInt64();
            var idt = new byte[256];
            random.NextBytes(idt);
            m.Memory.Load(0, idt);

            var ex = Record.Exception(() => m.Run(2_000));
            Assert.True(ex is null, $"{mode} program {program}: {ex}");
        }
    }
}
