using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Jit;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Jit;

/// <summary>
/// The process-wide store of translations emptied between runs (benchmark rounds). Alone in its collection: emptying the
/// store drops what machines of other tests queued, and their regions would stay interpreted.
/// </summary>
[Collection(nameof(TranslationStoreTests))]
public class TranslationStoreTests
{
    [Fact]
    public void Forgetting_translations_drops_the_waiting_regions_and_the_next_machine_still_gets_its_code_compiled()
    {
        static TestMachine Looping()
        {
            var m = TestMachine.LongMode(16 << 20);
            m.Cpu.JitThreshold = 4;
            m.Cpu.JitWaits = false;                    // queued for the background thread, as in a real run
            m.Load(a =>
            {
                var top = a.CreateLabel();
                a.mov(ecx, 200_000);
                a.Label(ref top);
                a.add(rax, rcx);
                a.rol(rbx, 3);
                a.dec(ecx);
                a.jnz(top);
                a.hlt();
            });
            return m;
        }

        using (var first = Looping()) first.Cpu.Run(20_000);
        JitStatistics.ForgetTranslations();
        Assert.Equal(0, JitStatistics.Now().Waiting);

        using var next = Looping();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (next.Cpu.InstructionsTranslated == 0 && next.Cpu.State == RunState.Running && DateTime.UtcNow < deadline)
        {
            next.Cpu.Run(1_000);
            Thread.Sleep(1);
        }

        Assert.True(next.Cpu.InstructionsTranslated > 0, "the compile thread stopped after the store was cleared");
    }
}

/// <summary>Runs <see cref="TranslationStoreTests"/> while no other test runs.</summary>
[CollectionDefinition(nameof(TranslationStoreTests), DisableParallelization = true)]
public class TranslationStoreCollection;
