namespace Smp.Host.Guest;

/// <summary>Which NMI/#DB/#BP handler pair the built-in kernel carries.</summary>
public enum HandlerVariant
{
    /// <summary>Plain handlers: NMI, #DB and #BP count per CPU in the per-CPU area and IRET; nothing guards nesting.</summary>
    Naive,

    /// <summary>Linux's nested-NMI logic and #DB IST shifting (reserved for the stress issue; not built yet).</summary>
    Linux,
}

/// <summary>Build-time choices for the built-in kernel.</summary>
/// <param name="Handlers">The NMI/#DB handler pair.</param>
/// <param name="InitUdelayMicroseconds">The wait between INIT assert and de-assert, Linux's
/// <c>cpu_init_udelay=</c>: 10000 µs by default (MP spec 1.4); Linux uses 0 on modern Intel and AMD CPUs.</param>
public sealed record KernelOptions(HandlerVariant Handlers = HandlerVariant.Naive, int InitUdelayMicroseconds = 10000)
{
    /// <summary>The default kernel: naive handlers.</summary>
    public static KernelOptions Default { get; } = new();
}
