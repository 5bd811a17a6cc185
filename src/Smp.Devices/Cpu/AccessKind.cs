namespace Smp.Devices.Cpu;

/// <summary>What a linear memory access is for; decides the permission checks and the #PF error code.</summary>
[Flags]
public enum AccessKind : byte
{
    /// <summary>A data read.</summary>
    Read = 0,

    /// <summary>A data write (#PF error code bit 1).</summary>
    Write = 1,

    /// <summary>An instruction fetch (#PF error code bit 4 when NX is on).</summary>
    Execute = 2,

    /// <summary>
    /// An implicit supervisor access (GDT, IDT, TSS, LDT reads during delivery or segment loads):
    /// checked as CPL 0 whatever the current CPL (SDM Vol. 3A §4.6).
    /// </summary>
    System = 4,
}
