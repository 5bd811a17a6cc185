using Smp.Devices.Cpu;

namespace Smp.Host.Telemetry;

/// <summary>
/// Feeds a <see cref="BootTrace"/> from a CPU's <see cref="CpuObserver"/> callbacks: mode changes (with CR0, CR4
/// and EFER), table loads (with the IST values of a loaded 64-bit TSS), MSR writes, SWAPGS, event delivery,
/// IRET, HLT and shutdown. Set one instance as <see cref="CpuCore.Observer"/> of every CPU. Function spans and
/// IPIs are not CPU facts: the integrator reports them to the trace directly.
/// </summary>
public sealed class TraceCpuObserver : CpuObserver
{
    private readonly BootTrace _trace;
    private readonly Func<long> _clock;
    private readonly Func<CpuCore, int> _cpuIndex;
    private readonly Func<CpuCore, ulong, ulong?>? _readQword;

    /// <summary>Creates the observer.</summary>
    /// <param name="trace">The trace to feed.</param>
    /// <param name="clock">The current simulated time in nanoseconds.</param>
    /// <param name="cpuIndex">The CPU index of a core (by default its APIC ID).</param>
    /// <param name="readQword">
    /// Reads 8 bytes at a linear address as the CPU sees them, without faulting or side effects (null when
    /// unmapped); used for the IST1–IST7 values of a TSS loaded by LTR. Null: ISTs are not read.
    /// </param>
    public TraceCpuObserver(BootTrace trace, Func<long> clock, Func<CpuCore, int>? cpuIndex = null, Func<CpuCore, ulong, ulong?>? readQword = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(clock);
        _trace = trace;
        _clock = clock;
        _cpuIndex = cpuIndex ?? (cpu => cpu.ApicId);
        _readQword = readQword;
    }

    /// <summary>The offset of IST1 in a 64-bit TSS (IST2..IST7 follow at 8-byte steps).</summary>
    public const ulong Ist1Offset = Tss64.Ist1;

    /// <inheritdoc />
    public override void ModeChanged(CpuCore cpu, CpuMode from, CpuMode to)
    {
        if (_trace.RecordsEvents)
        {
            _trace.ModeChanged(_cpuIndex(cpu), from.ToString(), to.ToString(), _clock(), cpu.Cr0, cpu.Cr4, cpu.Efer);
        }
    }

    /// <inheritdoc />
    public override void DescriptorTableLoaded(CpuCore cpu, DescriptorTable table, ulong baseAddress, uint limit, ushort selector)
    {
        ulong[]? ist = null;
        if (table == DescriptorTable.Tr && _readQword is not null && limit >= Ist1Offset + 7 * 8 - 1)
        {
            ist = new ulong[7];
            for (var i = 0; i < 7; i++)
            {
                ist[i] = _readQword(cpu, baseAddress + Ist1Offset + (ulong)(8 * i)) ?? 0;
            }
        }

        _trace.DescriptorTableLoaded(_cpuIndex(cpu), table, baseAddress, limit, selector, _clock(), ist);
    }

    /// <inheritdoc />
    public override void MsrWritten(CpuCore cpu, uint msr, ulong value) => _trace.MsrWritten(_cpuIndex(cpu), msr, value, _clock());

    /// <inheritdoc />
    public override void SwapGs(CpuCore cpu, ulong gsBase) => _trace.SwapGs(_cpuIndex(cpu), gsBase, _clock());

    /// <inheritdoc />
    public override void EventDelivered(CpuCore cpu, in EventDelivery delivery)
    {
        if (_trace.RecordsEvents)
        {
            _trace.EventDelivered(_cpuIndex(cpu), delivery, _clock());
        }
    }

    /// <inheritdoc />
    public override void Iret(CpuCore cpu, ulong fromRip, ulong toRip)
    {
        if (_trace.RecordsAll)
        {
            _trace.Iret(_cpuIndex(cpu), fromRip, toRip, _clock());
        }
    }

    /// <inheritdoc />
    public override void Halted(CpuCore cpu)
    {
        if (_trace.RecordsEvents)
        {
            _trace.Halted(_cpuIndex(cpu), _clock());
        }
    }

    /// <inheritdoc />
    public override void Shutdown(CpuCore cpu, string reason) => _trace.Shutdown(_cpuIndex(cpu), reason, _clock());
}
