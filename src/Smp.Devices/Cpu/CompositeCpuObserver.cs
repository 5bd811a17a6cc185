namespace Smp.Devices.Cpu;

/// <summary>
/// An observer that forwards every fact to several observers in order, so that telemetry and
/// stress monitors can listen to one CPU (which holds a single <see cref="CpuCore.Observer"/>).
/// </summary>
public sealed class CompositeCpuObserver : CpuObserver
{
    private CpuObserver[] _observers;

    /// <summary>Creates a composite of <paramref name="observers"/> (called in the given order).</summary>
    public CompositeCpuObserver(params CpuObserver[] observers) => _observers = (CpuObserver[])observers.Clone();

    /// <summary>The observers, in call order.</summary>
    public IReadOnlyList<CpuObserver> Observers => _observers;

    /// <summary>Appends <paramref name="observer"/> (call between quanta).</summary>
    public void Add(CpuObserver observer) => _observers = [.. _observers, observer];

    /// <summary>
    /// Attaches <paramref name="observer"/> to <paramref name="cpu"/>: as its only observer if it has
    /// none, else alongside the existing one(s) through a composite.
    /// </summary>
    public static void Attach(CpuCore cpu, CpuObserver observer)
    {
        switch (cpu.Observer)
        {
            case null: cpu.Observer = observer; break;
            case CompositeCpuObserver c: c.Add(observer); break;
            default: cpu.Observer = new CompositeCpuObserver(cpu.Observer, observer); break;
        }
    }

    /// <inheritdoc />
    public override void ModeChanged(CpuCore cpu, CpuMode from, CpuMode to) { foreach (var o in _observers) o.ModeChanged(cpu, from, to); }

    /// <inheritdoc />
    public override void DescriptorTableLoaded(CpuCore cpu, DescriptorTable table, ulong baseAddress, uint limit, ushort selector)
    { foreach (var o in _observers) o.DescriptorTableLoaded(cpu, table, baseAddress, limit, selector); }

    /// <inheritdoc />
    public override void MsrWritten(CpuCore cpu, uint msr, ulong value) { foreach (var o in _observers) o.MsrWritten(cpu, msr, value); }

    /// <inheritdoc />
    public override void SwapGs(CpuCore cpu, ulong gsBase) { foreach (var o in _observers) o.SwapGs(cpu, gsBase); }

    /// <inheritdoc />
    public override void EventDelivered(CpuCore cpu, in EventDelivery delivery) { foreach (var o in _observers) o.EventDelivered(cpu, in delivery); }

    /// <inheritdoc />
    public override void Iret(CpuCore cpu, ulong fromRip, ulong toRip) { foreach (var o in _observers) o.Iret(cpu, fromRip, toRip); }

    /// <inheritdoc />
    public override void FunctionEntered(CpuCore cpu, ulong address, ulong rsp) { foreach (var o in _observers) o.FunctionEntered(cpu, address, rsp); }

    /// <inheritdoc />
    public override void FunctionReturned(CpuCore cpu, ulong address) { foreach (var o in _observers) o.FunctionReturned(cpu, address); }

    /// <inheritdoc />
    public override void Halted(CpuCore cpu) { foreach (var o in _observers) o.Halted(cpu); }

    /// <inheritdoc />
    public override void Shutdown(CpuCore cpu, string reason) { foreach (var o in _observers) o.Shutdown(cpu, reason); }
}
