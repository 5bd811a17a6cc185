using Akka.Actor;
using Smp.Devices.Memory;

namespace Smp.Devices.Platform.Actors;

/// <summary>What a <see cref="CpuActor"/> is connected to. Null references are simply not used (tests).</summary>
public sealed class CpuWiring
{
    /// <summary>The APIC bus actor (receives <see cref="Ipi"/> and <see cref="LocalApicState"/>).</summary>
    public IActorRef? Bus { get; init; }

    /// <summary>The BIOS actor (receives <see cref="Firmware.BiosCall"/>).</summary>
    public IActorRef? Bios { get; init; }

    /// <summary>The machine monitor (receives <see cref="CpuHalted"/> and <see cref="CpuShutdown"/>).</summary>
    public IActorRef? Monitor { get; init; }

    /// <summary>The shared budget and stop state.</summary>
    public RunControl Control { get; init; } = new(long.MaxValue);

    /// <summary>The device ports (the platform's <see cref="PortBus"/>), or null for none.</summary>
    public IPortBus? Ports { get; init; }

    /// <summary>The platform whose clocked devices this CPU advances (the BSP's only), or null.</summary>
    public PcPlatform? ClockedPlatform { get; init; }

    /// <summary>Serialises device access between CPU actors (parallel mode runs them concurrently).</summary>
    public Lock DeviceLock { get; init; } = new();

    /// <summary>Whether the CPU may run several quanta in one go when it runs alone (<see cref="MachineConfig.RunAhead"/>).</summary>
    public bool RunAhead { get; init; }

    /// <summary>
    /// True when CPU actors may run at once (parallel mode): port accesses and device clocks then take
    /// <see cref="DeviceLock"/>. In deterministic mode every actor of a machine runs on one thread, one delivery at a
    /// time, so the CPUs' hot device path (a guest polling port 0x61 reads it millions of times) skips the lock.
    /// </summary>
    public bool DevicesShared { get; init; } = true;

    /// <summary>Told of INIT and SIPI acceptance (telemetry), or null.</summary>
    public IMachineObserver? Observer { get; init; }

    /// <summary>Called with the vector of a level-triggered EOI (the machine forwards it to the I/O APIC).</summary>
    public Action<int>? LevelEoi { get; init; }
}
