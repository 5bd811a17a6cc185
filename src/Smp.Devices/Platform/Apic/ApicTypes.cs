namespace Smp.Devices.Platform.Apic;

/// <summary>The delivery mode of an interrupt message (ICR bits 10:8, SDM Vol. 3A §10.6.1, fact sheet D6).</summary>
public enum DeliveryMode
{
    /// <summary>000: the vector goes to every target's IRR.</summary>
    Fixed = 0,

    /// <summary>001: the vector goes to the one target with the lowest priority.</summary>
    LowestPriority = 1,

    /// <summary>010: a system-management interrupt (not modelled: logged and dropped).</summary>
    Smi = 2,

    /// <summary>100: a non-maskable interrupt; the vector is ignored.</summary>
    Nmi = 4,

    /// <summary>101: INIT (assert) or, with level = 1 and assert = 0, INIT level de-assert.</summary>
    Init = 5,

    /// <summary>110: a start-up IPI; the vector is the start page (CS = vector &lt;&lt; 8, IP = 0).</summary>
    StartUp = 6,

    /// <summary>111: external interrupt (8259-compatible acknowledge), only from LINT0 or the I/O APIC.</summary>
    ExtInt = 7,
}

/// <summary>The destination shorthand of an IPI (ICR bits 19:18).</summary>
public enum DestinationShorthand
{
    /// <summary>00: use the destination field.</summary>
    None = 0,

    /// <summary>01: the sending APIC only.</summary>
    Self = 1,

    /// <summary>10: every APIC, the sender included.</summary>
    AllIncludingSelf = 2,

    /// <summary>11: every APIC but the sender.</summary>
    AllExcludingSelf = 3,
}

/// <summary>Where an interrupt message goes: a shorthand, or a physical/logical destination.</summary>
/// <param name="Shorthand">The shorthand; when not <see cref="DestinationShorthand.None"/> the other fields are ignored.</param>
/// <param name="Logical">True for logical destination mode (LDR/DFR matching), false for a physical APIC ID.</param>
/// <param name="Id">The destination field: an APIC ID (0xFF, or 0xFFFFFFFF in x2APIC mode, broadcasts) or a logical MDA.</param>
public sealed record ApicDestination(DestinationShorthand Shorthand, bool Logical, uint Id)
{
    /// <summary>A physical destination.</summary>
    /// <param name="apicId">The target APIC ID (0xFF for an xAPIC broadcast).</param>
    /// <returns>The destination.</returns>
    public static ApicDestination Physical(uint apicId) => new(DestinationShorthand.None, false, apicId);

    /// <summary>A logical destination with message destination address <paramref name="mda"/>.</summary>
    /// <param name="mda">The logical MDA compared with each LDR.</param>
    /// <returns>The destination.</returns>
    public static ApicDestination LogicalMda(uint mda) => new(DestinationShorthand.None, true, mda);

    /// <summary>A shorthand destination.</summary>
    /// <param name="shorthand">The shorthand.</param>
    /// <returns>The destination.</returns>
    public static ApicDestination To(DestinationShorthand shorthand) => new(shorthand, false, 0);
}

/// <summary>The 8259-compatible interrupt controller behind LINT0 in ExtINT mode (the PIC pair's INTR).</summary>
public interface IExtIntSource
{
    /// <summary>True while the controller's INTR output is asserted.</summary>
    bool HasInterrupt { get; }

    /// <summary>The interrupt-acknowledge cycle: returns the vector the controller supplies.</summary>
    /// <returns>The vector.</returns>
    int Acknowledge();
}
