namespace Smp.Devices.Cpu;

/// <summary>
/// The CPU's view of its interrupt controller (the local APIC, or the PIC through LINT0/ExtINT):
/// whether a maskable interrupt is ready to be accepted, and the acknowledge cycle that takes it.
/// </summary>
public interface IInterruptSource
{
    /// <summary>True when a maskable interrupt would be delivered if RFLAGS.IF allowed it.</summary>
    bool HasPendingInterrupt { get; }

    /// <summary>Accepts the highest-priority pending interrupt (IRR → ISR) and returns its vector.</summary>
    int AcknowledgeInterrupt();
}
