namespace Smp.Devices.Cpu;

/// <summary>
/// The CPU-side register interface of a local APIC: the x2APIC MSRs (0x800–0x8FF), the task priority
/// as seen through CR8, and notification of IA32_APIC_BASE changes. The platform attaches its APIC
/// model through <see cref="CpuCore.LocalApicRegisters"/>; the xAPIC MMIO page is attached separately
/// through <see cref="CpuCore.LocalApicMmio"/> at <see cref="CpuCore.ApicWindow"/>.
/// </summary>
public interface ILocalApicRegisters
{
    /// <summary>
    /// RDMSR of an x2APIC register (SDM Vol. 3A §10.12.1.2). Called only while the APIC is in x2APIC
    /// mode (IA32_APIC_BASE.EN = EXTD = 1). Return false for a register that cannot be read (the CPU raises #GP(0)).
    /// </summary>
    bool TryReadX2ApicMsr(uint msr, out ulong value);

    /// <summary>
    /// WRMSR to an x2APIC register. Called only in x2APIC mode. Return false when the write is illegal
    /// (read-only register, reserved bits, non-zero EOI value...): the CPU raises #GP(0) and the
    /// write has no other effect.
    /// </summary>
    bool TryWriteX2ApicMsr(uint msr, ulong value);

    /// <summary>
    /// The task-priority class as CR8 reads and writes it: CR8[3:0] = TPR[7:4] (SDM Vol. 3A §10.8.6.1).
    /// The APIC owns the value; the CPU's <see cref="CpuCore.Cr8"/> field is only used without an APIC.
    /// </summary>
    ulong Cr8 { get; set; }

    /// <summary>
    /// IA32_TSC_DEADLINE (SDM Vol. 3A §10.5.4.1): in TSC-deadline timer mode a non-zero write arms the
    /// timer to fire when the TSC reaches the value, 0 disarms it; in other modes reads return 0 and
    /// writes are ignored.
    /// </summary>
    ulong TscDeadline { get; set; }

    /// <summary>WRMSR changed IA32_APIC_BASE (enable, x2APIC mode or base address): <paramref name="apicBase"/> is the new value.</summary>
    void ApicBaseChanged(ulong apicBase);
}
