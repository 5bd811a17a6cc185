namespace Smp.Devices.Platform.Actors;

/// <summary>
/// Receives the machine-level facts a CPU observer cannot see: inter-processor interrupts as the
/// APIC bus routes them (with both ends, so a trace can link the sender's span to the receiver's)
/// and INIT/SIPI acceptance by a CPU. Called on the actors' threads; times are simulated ns.
/// </summary>
public interface IMachineObserver
{
    /// <summary>The bus routed an interrupt from CPU <paramref name="fromCpu"/> (−1 for the I/O APIC) to CPU <paramref name="toCpu"/>.</summary>
    /// <param name="fromCpu">Sending CPU index, or −1 when the I/O APIC sent it.</param>
    /// <param name="toCpu">Receiving CPU index.</param>
    /// <param name="mode">Delivery mode.</param>
    /// <param name="vector">Vector (the SIPI page for StartUp).</param>
    /// <param name="sentNs">When the bus took the message.</param>
    /// <param name="deliveredNs">When it reaches the receiver (after the bus latency).</param>
    void IpiRouted(int fromCpu, int toCpu, Apic.DeliveryMode mode, int vector, long sentNs, long deliveredNs);

    /// <summary>CPU <paramref name="cpu"/> took an INIT (an AP now waits for SIPI).</summary>
    void InitAccepted(int cpu, long timeNs);

    /// <summary>CPU <paramref name="cpu"/> accepted a start-up IPI and runs from <paramref name="vector"/> × 4 KiB in real mode.</summary>
    void SipiAccepted(int cpu, int vector, long timeNs);
}
