using Smp.Devices.Platform.Actors;
using Smp.Devices.Platform.Apic;
using Smp.Host.Telemetry;

namespace Smp.Host.Running;

/// <summary>Feeds the machine-level facts (IPIs with their links, INIT/SIPI acceptance) into a <see cref="BootTrace"/>.</summary>
internal sealed class MachineTelemetry(BootTrace trace, IReadOnlyList<uint> apicIds) : IMachineObserver
{
    /// <inheritdoc />
    public void IpiRouted(int fromCpu, int toCpu, DeliveryMode mode, int vector, long sentNs, long deliveredNs)
    {
        if (fromCpu < 0) return; // I/O APIC interrupts are device events, not IPIs
        long link = trace.IpiSent(fromCpu, toCpu, ModeName(mode), vector, sentNs);
        if (mode == DeliveryMode.StartUp || mode == DeliveryMode.Init)
            trace.CpuStarted(toCpu, (int)apicIds[toCpu], CpuRole.Ap, deliveredNs, mode == DeliveryMode.Init ? "INIT" : "SIPI");
        trace.IpiReceived(toCpu, link, deliveredNs);
    }

    /// <inheritdoc />
    public void InitAccepted(int cpu, long timeNs) => trace.InitAccepted(cpu, timeNs);

    /// <inheritdoc />
    public void SipiAccepted(int cpu, int vector, long timeNs) => trace.SipiAccepted(cpu, vector, timeNs);

    private static string ModeName(DeliveryMode mode) => mode switch
    {
        DeliveryMode.Init => "INIT",
        DeliveryMode.StartUp => "SIPI",
        DeliveryMode.Nmi => "NMI",
        DeliveryMode.LowestPriority => "lowest-priority",
        DeliveryMode.Fixed => "fixed",
        _ => mode.ToString(),
    };
}
