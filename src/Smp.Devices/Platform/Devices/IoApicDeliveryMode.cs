namespace Smp.Devices.Platform;

/// <summary>The delivery mode field (bits 10:8) of an I/O APIC redirection entry (82093AA datasheet).</summary>
public enum IoApicDeliveryMode : byte
{
    /// <summary>Deliver to every destination CPU.</summary>
    Fixed = 0,
    /// <summary>Deliver to the destination CPU with the lowest priority.</summary>
    LowestPriority = 1,
    /// <summary>System management interrupt (vector ignored).</summary>
    Smi = 2,
    /// <summary>Non-maskable interrupt (vector ignored, always edge).</summary>
    Nmi = 4,
    /// <summary>INIT (vector ignored, always edge).</summary>
    Init = 5,
    /// <summary>External interrupt: the CPU fetches the vector from the 8259A.</summary>
    ExtInt = 7,
}
