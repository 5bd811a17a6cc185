using Akka.Actor;
using Smp.Actors;
using Smp.Devices.Memory;

namespace Smp.Devices.Platform.Actors;

/// <summary>
/// The memory controller: owns the physical address space (RAM, the VGA window, the BIOS ROM and its alias,
/// the I/O APIC window; each CPU intercepts its own local APIC page) and the <see cref="MemoryMap"/>, and is
/// the one source of the E820 map (<see cref="MemoryMapQuery"/> → <see cref="MemoryMapReply"/>). RAM itself
/// is a shared array that the CPUs access directly, never through messages.
/// </summary>
public sealed class MemoryControllerActor : SimActor
{
    /// <summary>Creates the controller for <paramref name="memory"/> laid out by <paramref name="map"/>.</summary>
    /// <param name="memory">The physical address space (already populated by <see cref="MemoryLayout"/>).</param>
    /// <param name="map">The address and E820 maps.</param>
    public MemoryControllerActor(PhysicalMemory memory, MemoryMap map)
    {
        Memory = memory;
        Map = map;
        Receive<MemoryMapQuery>(_ => Sim.Tell(Sender, new MemoryMapReply(Map.E820)));
    }

    /// <summary>The physical address space.</summary>
    public PhysicalMemory Memory { get; }

    /// <summary>The maps.</summary>
    public MemoryMap Map { get; }
}
