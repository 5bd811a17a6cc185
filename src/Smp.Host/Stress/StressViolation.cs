namespace Smp.Host.Stress;

/// <summary>What a stress monitor found wrong.</summary>
public enum StressViolationKind
{
    /// <summary>A delivery through IST n reloaded RSP and pushed its frame over a live frame.</summary>
    IstClobber,
    /// <summary>A vector was delivered again, on the same stack, while its previous frame was live.</summary>
    HandlerReentered,
    /// <summary>The guest's NMI counter shows fewer handler runs than NMIs the hardware delivered.</summary>
    NmiLost,
    /// <summary>The guest's NMI counter shows more handler runs than NMIs the hardware delivered.</summary>
    NmiDoubled,
    /// <summary>A delivery pushed (or tried to push) into a configured stack guard range.</summary>
    StackGuardHit,
    /// <summary>A double fault (#DF) was delivered.</summary>
    DoubleFault,
    /// <summary>The CPU entered the shutdown state (triple fault).</summary>
    Shutdown,
}

/// <summary>One violation found by a stress monitor.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Cpu">The CPU's APIC ID.</param>
/// <param name="Time">The CPU's simulated time in nanoseconds when it was found.</param>
/// <param name="Vector">The vector delivered (or -1 when none, e.g. shutdown or a counter check).</param>
/// <param name="Ist">The IST slot used (0 when none).</param>
/// <param name="Rip">The interrupted RIP (saved in the new frame), or the CPU's RIP when no event was delivered.</param>
/// <param name="Details">One sentence for reports, e.g. "NMI on IST2 over live NMI frame".</param>
public sealed record StressViolation(StressViolationKind Kind, int Cpu, long Time, int Vector, int Ist, ulong Rip, string Details);

/// <summary>
/// A frame delivered and not yet returned from by IRET.
/// </summary>
/// <param name="Vector">The vector.</param>
/// <param name="Ist">The IST slot the delivery used (0 = none).</param>
/// <param name="Start">Lowest address of the hardware frame (RSP after delivery).</param>
/// <param name="End">One past the highest address of the frame.</param>
/// <param name="StackTop">For IST deliveries the stack top the CPU loaded (identifies the stack), else 0.</param>
/// <param name="FromRip">The interrupted RIP saved in the frame.</param>
/// <param name="InterruptedRsp">RSP before delivery.</param>
/// <param name="Time">Simulated nanoseconds at delivery.</param>
/// <param name="Instructions">Instructions retired at delivery.</param>
/// <param name="Depth">The CPU's event depth including this frame.</param>
public sealed record LiveFrame(int Vector, int Ist, ulong Start, ulong End, ulong StackTop, ulong FromRip, ulong InterruptedRsp,
    long Time, long Instructions, int Depth)
{
    /// <summary>Address of the saved-RIP slot (the word IRET pops first).</summary>
    public ulong RipSlot => End - 40;

    /// <summary>True once a later delivery overwrote (part of) this frame while the guest held no copy of it.</summary>
    public bool Clobbered { get; set; }

    /// <summary>
    /// True once a later delivery overwrote this frame after the guest had copied it below on the same
    /// stack (Linux's "outermost" frame): software-managed nesting, not a clobber.
    /// </summary>
    public bool Relocated { get; set; }

    /// <summary>The five hardware-frame words (RIP, CS, RFLAGS, RSP, SS) as delivered, or null when unreadable.</summary>
    public ulong[]? Words { get; init; }

    /// <summary>True when [<paramref name="start"/>, <paramref name="end"/>) overlaps this frame.</summary>
    public bool Overlaps(ulong start, ulong end) => start < End && Start < end;
}
