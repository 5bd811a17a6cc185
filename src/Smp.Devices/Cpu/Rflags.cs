namespace Smp.Devices.Cpu;

/// <summary>RFLAGS bit masks (SDM Vol. 1 §3.4.3, Vol. 3A §2.3).</summary>
public static class Rflags
{
    /// <summary>Carry flag.</summary>
    public const ulong CF = 1UL << 0;
    /// <summary>Bit 1, always reads as 1.</summary>
    public const ulong Reserved1 = 1UL << 1;
    /// <summary>Parity flag.</summary>
    public const ulong PF = 1UL << 2;
    /// <summary>Auxiliary carry flag.</summary>
    public const ulong AF = 1UL << 4;
    /// <summary>Zero flag.</summary>
    public const ulong ZF = 1UL << 6;
    /// <summary>Sign flag.</summary>
    public const ulong SF = 1UL << 7;
    /// <summary>Trap flag (single-step).</summary>
    public const ulong TF = 1UL << 8;
    /// <summary>Interrupt enable flag.</summary>
    public const ulong IF = 1UL << 9;
    /// <summary>Direction flag.</summary>
    public const ulong DF = 1UL << 10;
    /// <summary>Overflow flag.</summary>
    public const ulong OF = 1UL << 11;
    /// <summary>I/O privilege level (two bits).</summary>
    public const ulong IOPL = 3UL << 12;
    /// <summary>Nested task.</summary>
    public const ulong NT = 1UL << 14;
    /// <summary>Resume flag: suppresses instruction breakpoints for one instruction.</summary>
    public const ulong RF = 1UL << 16;
    /// <summary>Virtual-8086 mode.</summary>
    public const ulong VM = 1UL << 17;
    /// <summary>Alignment check / access control.</summary>
    public const ulong AC = 1UL << 18;
    /// <summary>Virtual interrupt flag.</summary>
    public const ulong VIF = 1UL << 19;
    /// <summary>Virtual interrupt pending.</summary>
    public const ulong VIP = 1UL << 20;
    /// <summary>CPUID availability flag.</summary>
    public const ulong ID = 1UL << 21;

    /// <summary>The six status flags computed by arithmetic.</summary>
    public const ulong Arithmetic = CF | PF | AF | ZF | SF | OF;

    /// <summary>Every bit software can change on this processor (no VME/PVI: VM, VIF, VIP stay 0).</summary>
    public const ulong Writable = Arithmetic | TF | IF | DF | IOPL | NT | RF | AC | ID;
}
