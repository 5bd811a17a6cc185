namespace Smp.Host.Guest;

/// <summary>Which NMI/#DB/#BP handler pair the built-in kernel carries.</summary>
public enum HandlerVariant
{
    /// <summary>Plain handlers: NMI on IST 2 and #DB on IST 3, each <c>push regs; call do_nmi/do_debug; pop regs; iretq</c>;
    /// nothing guards nesting.</summary>
    Naive,

    /// <summary>Linux's nested-NMI scheme (entry_64.S, fact C2) and Linux 5.2–5.7's #DB IST shifting onto DB1
    /// with an unmapped DB2 hole (facts B6, C3), plus the debug IDT an NMI loads over a debug stack.</summary>
    Linux,
}

/// <summary>Build-time choices for the built-in kernel.</summary>
/// <param name="Handlers">The NMI/#DB handler pair.</param>
/// <param name="InitUdelayMicroseconds">The wait between INIT assert and de-assert as an override, like Linux's
/// <c>cpu_init_udelay=</c>. Null (the default) applies Linux's rule at boot from CPUID (fact A3): 0 µs on Intel
/// family 6, AMD family ≥ 0xF and Hygon family ≥ 0x18, else 10000 µs (MP spec 1.4).</param>
public sealed record KernelOptions(HandlerVariant Handlers = HandlerVariant.Naive, int? InitUdelayMicroseconds = null)
{
    /// <summary>The default kernel: naive handlers.</summary>
    public static KernelOptions Default { get; } = new();
}
