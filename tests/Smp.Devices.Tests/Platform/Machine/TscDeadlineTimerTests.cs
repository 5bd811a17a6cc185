using Smp.Devices.Cpu;
using Smp.Devices.Memory;
using Smp.Devices.Platform.Apic;

namespace Smp.Devices.Tests.Platform.Pc;

/// <summary>The local APIC timer's TSC-deadline mode through IA32_TSC_DEADLINE (SDM Vol. 3A §10.5.4.1).</summary>
public sealed class TscDeadlineTimerTests : IDisposable
{
    private readonly PhysicalMemory _memory = new(1 << 20);
    private readonly CpuCore _cpu;
    private readonly LocalApic _apic;

    public TscDeadlineTimerTests()
    {
        _cpu = new CpuCore(_memory);
        _apic = new LocalApic(0, () => _cpu.SimulatedNanoseconds) { Core = _cpu }; // as the CPU actor wires it
        _cpu.LocalApicRegisters = _apic;
        _apic.WriteRegister(0xF0, 0x1FF);
    }

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void A_deadline_write_fires_once_when_the_tsc_reaches_it_and_clears_the_msr()
    {
        _apic.WriteRegister(0x320, (2u << 17) | 0x40);            // LVT timer: TSC-deadline mode, vector 0x40
        ulong tsc = _cpu.Tsc;
        long start = _cpu.SimulatedNanoseconds;
        Assert.True(_cpu.TryWriteMsr(Msr.TscDeadline, tsc + 5000));
        Assert.True(_cpu.TryReadMsr(Msr.TscDeadline, out var armed));
        Assert.Equal(tsc + 5000, armed);
        Assert.Equal(start + 5000, _apic.TimerDeadline);          // 1 GHz: one TSC tick per simulated ns
        _apic.WriteRegister(0x380, 123);                          // the initial count is ignored in this mode
        Assert.Equal(0u, _apic.ReadRegister(0x390));

        Assert.False(_apic.PollTimer(start + 4999));
        Assert.True(_apic.PollTimer(start + 5000));
        Assert.True(_apic.IsRequested(0x40));
        Assert.True(_cpu.TryReadMsr(Msr.TscDeadline, out var after));
        Assert.Equal(0UL, after);
        Assert.Null(_apic.TimerDeadline);
    }

    [Fact]
    public void Writing_zero_disarms_and_a_deadline_in_the_past_fires_at_once()
    {
        _apic.WriteRegister(0x320, (2u << 17) | 0x41);
        _cpu.TryWriteMsr(Msr.TscDeadline, _cpu.Tsc + 100);
        _cpu.TryWriteMsr(Msr.TscDeadline, 0);
        Assert.Null(_apic.TimerDeadline);

        _cpu.AdvanceIdleCycles(50);                               // 50 ns at 1 GHz
        _cpu.TryWriteMsr(Msr.TscDeadline, _cpu.Tsc - 10);         // already passed: fires inside the write
        Assert.True(_apic.IsRequested(0x41));
        Assert.Null(_apic.TimerDeadline);
        Assert.True(_cpu.TryReadMsr(Msr.TscDeadline, out var cleared));
        Assert.Equal(0UL, cleared);
    }

    [Fact]
    public void Outside_tsc_deadline_mode_the_msr_reads_zero_and_ignores_writes_and_a_mode_change_disarms()
    {
        _apic.WriteRegister(0x320, 0x42);                          // one-shot mode
        Assert.True(_cpu.TryWriteMsr(Msr.TscDeadline, 777));
        Assert.True(_cpu.TryReadMsr(Msr.TscDeadline, out var v));
        Assert.Equal(0UL, v);
        Assert.Null(_apic.TimerDeadline);

        _apic.WriteRegister(0x320, (2u << 17) | 0x42);
        _cpu.TryWriteMsr(Msr.TscDeadline, _cpu.Tsc + 10);
        _apic.WriteRegister(0x320, 0x42);                          // back to one-shot: disarmed
        Assert.Null(_apic.TimerDeadline);
    }

    [Fact]
    public void Cpuid_reports_tsc_deadline_only_with_a_local_apic()
    {
        Cpuid.Query(_cpu, 1, 0, out _, out _, out uint ecx, out _);
        Assert.NotEqual(0u, ecx & Cpuid.EcxTscDeadline);
        using var bare = new PhysicalMemory(1 << 20);
        Cpuid.Query(new CpuCore(bare), 1, 0, out _, out _, out uint bareEcx, out _);
        Assert.Equal(0u, bareEcx & Cpuid.EcxTscDeadline);
    }
}
