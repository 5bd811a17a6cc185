namespace Smp.Host.Telemetry;

/// <summary>
/// The guest symbols whose entry and return become function spans: by default the Linux boot path
/// (setup, start_kernel, SMP bring-up, the AP's path to idle, the NMI/#DB/#DF entry points), plus any
/// names added with <c>--watch</c>. Lookups are exact and case-sensitive, as symbol tables are.
/// </summary>
public sealed class SymbolWatchList
{
    /// <summary>Linux's <c>panic()</c>.</summary>
    public const string PanicSymbol = "panic";

    /// <summary>The default names: the boot path of Linux and of the built-in kernel.</summary>
    public static readonly IReadOnlyList<string> DefaultSymbols =
    [
        // Real-mode setup and decompression on the BSP.
        "start_of_setup", "main", "go_to_protected_mode", "protected_mode_jump", "startup_32", "startup_64",
        "extract_kernel", "secondary_startup_64", "x86_64_start_kernel", "x86_64_start_reservations",
        // Generic kernel init on the BSP.
        "start_kernel", "setup_arch", "trap_init", "tsc_init", "pit_calibrate_tsc", "cpu_init", "rest_init", "kernel_init", "kernel_init_freeable",
        "smp_prepare_cpus", "native_smp_prepare_cpus", "smp_init", "bringup_nonboot_cpus", "cpu_up", "native_cpu_up", "do_boot_cpu",
        "wakeup_secondary_cpu_via_init", "smp_cpus_done", "native_smp_cpus_done",
        // The AP's path to idle.
        "trampoline_start", "startup_32_smp", "start_secondary", "cpu_startup_entry", "cpu_idle", "do_idle",
        // Exception entry points whose nesting the stress tests watch.
        "asm_exc_nmi", "exc_nmi", "nmi_handle", "asm_exc_debug", "exc_debug", "asm_exc_double_fault", "exc_double_fault",
        // How Linux ends: power-off, restart, and panic.
        "kernel_power_off", "machine_power_off", "kernel_restart", "emergency_restart", "machine_restart", PanicSymbol,
    ];

    private readonly HashSet<string> _names;

    /// <summary>A watch list of the defaults plus <paramref name="additions"/>.</summary>
    /// <param name="additions">Extra names (<c>--watch</c>), or null.</param>
    /// <param name="includeDefaults">Whether the defaults are included.</param>
    public SymbolWatchList(IEnumerable<string>? additions = null, bool includeDefaults = true)
    {
        _names = new HashSet<string>(StringComparer.Ordinal);
        var ordered = new List<string>();
        foreach (var name in (includeDefaults ? DefaultSymbols : []).Concat(additions ?? []))
        {
            var trimmed = name.Trim();
            if (trimmed.Length > 0 && _names.Add(trimmed))
            {
                ordered.Add(trimmed);
            }
        }

        Names = ordered;
    }

    /// <summary>The watched names, defaults first, without duplicates.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Whether <paramref name="symbol"/> is watched.</summary>
    /// <param name="symbol">A symbol name.</param>
    /// <returns>True if entering it should open a span.</returns>
    public bool Contains(string symbol) => _names.Contains(symbol);

    /// <summary>
    /// The watched entries of a symbol table: address → name for every watched name present, to put
    /// in a dictionary the CPU loop checks on each control transfer.
    /// </summary>
    /// <param name="symbols">The guest's symbols (name, address).</param>
    /// <returns>The watched addresses.</returns>
    public Dictionary<ulong, string> Resolve(IEnumerable<KeyValuePair<string, ulong>> symbols)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var result = new Dictionary<ulong, string>();
        foreach (var (name, address) in symbols)
        {
            if (_names.Contains(name))
            {
                result.TryAdd(address, name);
            }
        }

        return result;
    }
}
