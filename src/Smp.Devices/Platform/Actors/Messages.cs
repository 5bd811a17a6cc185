using Smp.Devices.Platform.Apic;

namespace Smp.Devices.Platform.Actors;

/// <summary>Tells a CPU actor to execute until its clock reaches <paramref name="Until"/> (simulated ns).</summary>
/// <param name="Until">The end of the quantum.</param>
public sealed record RunQuantum(long Until);

/// <summary>An interrupt message on the APIC bus, sent by a local APIC's ICR write.</summary>
/// <param name="SourceApicId">The sender's APIC ID (resolves the self shorthands).</param>
/// <param name="Destination">Where it goes.</param>
/// <param name="Mode">The delivery mode.</param>
/// <param name="Vector">The vector (fixed, lowest priority, start-up page).</param>
/// <param name="Level">ICR bit 15: level-triggered.</param>
/// <param name="Assert">ICR bit 14: assert (an INIT with level = 1 and assert = 0 is the INIT level de-assert).</param>
public sealed record Ipi(int SourceApicId, ApicDestination Destination, DeliveryMode Mode, int Vector, bool Level, bool Assert);

/// <summary>INIT delivered to a CPU: it resets; an AP enters wait-for-SIPI (SDM Vol. 3A §8.4.2).</summary>
public sealed record InitIpi;

/// <summary>INIT level de-assert (a synchronisation message with no effect on modern processors).</summary>
public sealed record InitDeassert;

/// <summary>A start-up IPI delivered to a CPU: accepted once after INIT, starts it at <c>Vector × 0x1000</c>.</summary>
/// <param name="Vector">The start page.</param>
public sealed record StartupIpi(int Vector);

/// <summary>An NMI delivered to a CPU.</summary>
public sealed record NmiIpi;

/// <summary>A fixed (or lowest-priority) interrupt delivered to a CPU's local APIC IRR.</summary>
/// <param name="Vector">The vector.</param>
/// <param name="LevelTriggered">True for level-triggered (sets the TMR bit; its EOI reaches the I/O APIC).</param>
public sealed record FixedInterrupt(int Vector, bool LevelTriggered);

/// <summary>A CPU went to sleep in HLT (with nothing deliverable pending).</summary>
/// <param name="Cpu">The CPU index.</param>
public sealed record CpuHalted(int Cpu);

/// <summary>A CPU entered the shutdown state (triple fault).</summary>
/// <param name="Cpu">The CPU index.</param>
/// <param name="Reason">The core's shutdown reason (the vector chain).</param>
public sealed record CpuShutdown(int Cpu, string Reason);

/// <summary>Asks the memory controller for the E820 map.</summary>
public sealed record MemoryMapQuery;

/// <summary>The memory controller's answer: the E820 map.</summary>
/// <param name="Entries">The entries, sorted by address.</param>
public sealed record MemoryMapReply(IReadOnlyList<E820Entry> Entries);

/// <summary>A local APIC's routing state, sent to the APIC bus whenever it changes.</summary>
/// <param name="Cpu">The CPU index.</param>
/// <param name="ApicId">The current APIC ID.</param>
/// <param name="Ldr">The logical destination register.</param>
/// <param name="Dfr">The destination format register.</param>
/// <param name="Tpr">The task priority (lowest-priority arbitration).</param>
/// <param name="Enabled">False while the APIC is hardware-disabled (it then accepts no fixed interrupts).</param>
/// <param name="X2Apic">True in x2APIC mode (32-bit IDs, cluster logical mode).</param>
public sealed record LocalApicState(int Cpu, uint ApicId, uint Ldr, uint Dfr, uint Tpr, bool Enabled, bool X2Apic);

/// <summary>The APIC timer's deadline has come (a self-message of a sleeping CPU actor).</summary>
public sealed record ApicTimerDue;

/// <summary>A device (the PIT) has a timed event due (a self-message of the BSP's actor).</summary>
public sealed record DeviceEventDue;

/// <summary>The PIC's INTR output changed (to the BSP's actor, whose LINT0 it drives).</summary>
/// <param name="Level">The new level.</param>
public sealed record ExtIntChanged(bool Level);
