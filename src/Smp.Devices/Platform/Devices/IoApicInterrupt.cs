namespace Smp.Devices.Platform;

/// <summary>An interrupt message the I/O APIC sends on the APIC bus for one redirection entry.</summary>
/// <param name="Vector">The vector (ignored by the receiver for NMI, INIT, SMI and ExtINT).</param>
/// <param name="DeliveryMode">How the local APIC delivers it.</param>
/// <param name="Destination">The xAPIC destination: a physical APIC ID, or a logical MDA when <paramref name="Logical"/>.</param>
/// <param name="Logical">True for logical destination mode.</param>
/// <param name="LevelTriggered">True for a level-triggered entry: the receiving APIC sets its TMR bit and its EOI must reach <see cref="IoApic.EndOfInterrupt"/>.</param>
/// <param name="Gsi">The input pin (global system interrupt) that caused it.</param>
public sealed record IoApicInterrupt(byte Vector, IoApicDeliveryMode DeliveryMode, byte Destination, bool Logical, bool LevelTriggered, int Gsi);
