namespace Smp.Host.Guest;

/// <summary>
/// The built-in Linux-shaped guest kernel as a raw bootable disk image (boot sector, 16-bit setup,
/// startup_32, the trampoline blob, the 64-bit kernel) with its symbol table. Addresses the simulator
/// reads back (GDT pages, TSSs, per-CPU areas, IST stacks, cpu_online_mask, trampoline) are in
/// <see cref="KernelLayout"/>.
/// </summary>
public sealed class KernelImage
{
    private KernelImage(byte[] disk, IReadOnlyList<KernelSymbol> symbols, KernelOptions options)
    {
        Disk = disk;
        Symbols = symbols;
        Options = options;
    }

    /// <summary>The raw disk image (a whole number of 512-byte sectors; sector 0 ends in 0x55 0xAA).</summary>
    public byte[] Disk { get; }

    /// <summary>Every function, sorted by address, non-overlapping.</summary>
    public IReadOnlyList<KernelSymbol> Symbols { get; }

    /// <summary>The options the kernel was built with.</summary>
    public KernelOptions Options { get; }

    /// <summary>Base of the per-CPU GDT pages (stride <see cref="KernelLayout.GdtPageStride"/>).</summary>
    public ulong GdtPagesBase => KernelLayout.GdtPages;

    /// <summary>Base of the per-CPU TSSs (stride <see cref="KernelLayout.TssStride"/>).</summary>
    public ulong TssBase => KernelLayout.Tss;

    /// <summary>Base of the per-CPU areas, each CPU's IA32_GS_BASE (stride <see cref="KernelLayout.PerCpuStride"/>).</summary>
    public ulong PerCpuBase => KernelLayout.PerCpu;

    /// <summary>Base of the IST stack groups (stride <see cref="KernelLayout.IstStride"/> per CPU; see <see cref="IstStackRange"/>).</summary>
    public ulong IstStacksBase => KernelLayout.IstStacks;

    /// <summary>Address of <c>init_udelay</c> (u32 µs), the INIT assert → de-assert wait chosen at boot (fact A3).</summary>
    public ulong InitUdelayAddress => KernelLayout.InitUdelay;

    /// <summary>Per-CPU <c>nmi_count</c> (u64): incremented once by every <c>do_nmi</c> call, i.e. once per NMI handled.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its address.</returns>
    public static ulong NmiCountAddress(int cpu) => KernelLayout.PerCpuArea(cpu) + KernelLayout.PerCpuNmiCount;

    /// <summary>Per-CPU <c>nmi_touch_var</c> (u64), incremented by <c>nmi_handle</c>: a target for a data breakpoint.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its address.</returns>
    public static ulong NmiTouchVarAddress(int cpu) => KernelLayout.PerCpuArea(cpu) + KernelLayout.PerCpuNmiTouchVar;

    /// <summary>Per-CPU <c>int1_request</c> (u64): while non-zero, <c>nmi_handle</c> executes INT1 (ICEBP) once per pass,
    /// raising a trap-type #DB through the #DB gate (IST 3) inside the NMI handler. The guest never clears it;
    /// a debugger (the simulator) sets and clears it in guest memory.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its address.</returns>
    public static ulong Int1RequestAddress(int cpu) => KernelLayout.PerCpuArea(cpu) + KernelLayout.PerCpuInt1Request;

    /// <summary>Per-CPU #DB count (u64), incremented by <c>do_debug</c>.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its address.</returns>
    public static ulong DebugCountAddress(int cpu) => KernelLayout.PerCpuArea(cpu) + KernelLayout.PerCpuDebugCount;

    /// <summary>Per-CPU #BP count (u64), incremented by <c>do_int3</c>.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its address.</returns>
    public static ulong BreakpointCountAddress(int cpu) => KernelLayout.PerCpuArea(cpu) + KernelLayout.PerCpuBreakpointCount;

    /// <summary>Per-CPU #PF count (u64), incremented by <c>do_page_fault</c>.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its address.</returns>
    public static ulong PageFaultCountAddress(int cpu) => KernelLayout.PerCpuArea(cpu) + KernelLayout.PerCpuPageFaultCount;

    /// <summary>The NMI demand page of <paramref name="cpu"/> (not present between NMIs).</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>The page.</returns>
    public static AddressRange NmiFaultPage(int cpu) => Page(KernelLayout.NmiFaultPage(cpu));

    /// <summary>The stack a gate's IST field selects on <paramref name="cpu"/> (1 #DF, 2 NMI, 3 #DB, 4 #MC).</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <param name="ist">Gate IST field, 1 to 4.</param>
    /// <returns>[bottom, top): the top is tss.ist[ist - 1] as cpu_init leaves it.</returns>
    public static AddressRange IstStackRange(int cpu, int ist) => Page(KernelLayout.IstTop(cpu, ist) - KernelLayout.IstStackSize);

    /// <summary>The NMI stack of <paramref name="cpu"/> (gate IST 2).</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>[bottom, top).</returns>
    public static AddressRange NmiStackRange(int cpu) => IstStackRange(cpu, 2);

    /// <summary>The #DF stack of <paramref name="cpu"/> (gate IST 1).</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>[bottom, top).</returns>
    public static AddressRange DfStackRange(int cpu) => IstStackRange(cpu, 1);

    /// <summary>The #MC stack of <paramref name="cpu"/> (gate IST 4).</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>[bottom, top).</returns>
    public static AddressRange McStackRange(int cpu) => IstStackRange(cpu, 4);

    /// <summary>The #DB stacks of <paramref name="cpu"/>: DB (gate IST 3, first level) then DB1 (a nested #DB
    /// while the Linux variant has lowered tss.ist[IST_INDEX_DB]; unused by the naive variant).</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>[DB, DB1], each [bottom, top).</returns>
    public static IReadOnlyList<AddressRange> DbStackRanges(int cpu) =>
        [IstStackRange(cpu, 3), Page(KernelLayout.IstGroup(cpu) + KernelLayout.Db1StackOffset)];

    /// <summary>The DB2 hole of <paramref name="cpu"/>: never mapped; a third nested #DB pushes its frame here.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>[bottom, top): the top is tss.ist[IST_INDEX_DB] lowered twice.</returns>
    public static AddressRange GuardHoleRange(int cpu) => Page(KernelLayout.IstGroup(cpu) + KernelLayout.Db2StackOffset);

    /// <summary>Every not-present page of <paramref name="cpu"/>'s exception-stack area (guards and the DB2 hole).</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>The pages, low to high.</returns>
    public static IReadOnlyList<AddressRange> GuardPages(int cpu) =>
        KernelLayout.GuardPageOffsets.Select(offset => Page(KernelLayout.IstGroup(cpu) + offset)).ToArray();

    /// <summary>The task (kernel thread) stack of <paramref name="cpu"/>, THREAD_SIZE bytes.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>[bottom, top).</returns>
    public static AddressRange TaskStackRange(int cpu) =>
        new(KernelLayout.KernelStackTop(cpu) - KernelLayout.KernelStackSize, KernelLayout.KernelStackTop(cpu));

    /// <summary>Address of cpu_online_mask (u64).</summary>
    public ulong CpuOnlineMaskAddress => KernelLayout.CpuOnlineMask;

    /// <summary>Physical address of the real-mode trampoline (SIPI vector = this >> 12).</summary>
    public ulong TrampolineAddress => KernelLayout.Trampoline;

    /// <summary>Builds the kernel.</summary>
    /// <param name="options">Build-time choices; <see cref="KernelOptions.Default"/> when null.</param>
    /// <returns>The image.</returns>
    public static KernelImage Build(KernelOptions? options = null)
    {
        options ??= KernelOptions.Default;
        if (options.InitUdelayMicroseconds is < 0 or > 1_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.InitUdelayMicroseconds, "the INIT delay must be 0 to 1000000 µs.");
        }

        var symbols = new List<KernelSymbol>();

        var (kernel, kernelSymbols) = new Kernel64Builder(options).Build();
        var (setup, setupSymbols) = Setup16.Build();
        var (head32, head32Symbols) = Head32.Build();
        var (trampoline, trampolineSymbols) = Trampoline.Build();

        var length = (int)(KernelLayout.Kernel64 - KernelLayout.ImageLoad) + kernel.Length;
        length = (length + 511) / 512 * 512;
        var disk = new byte[length];
        setup.CopyTo(disk, Offset(KernelLayout.Setup));
        Setup16.Data().CopyTo(disk, Offset(KernelLayout.SetupData));
        head32.CopyTo(disk, Offset(KernelLayout.Head32));
        trampoline.CopyTo(disk, Offset(KernelLayout.TrampolineImage));
        kernel.CopyTo(disk, Offset(KernelLayout.Kernel64));
        var (bootSector, bootSymbols) = BootSector.Build(length / 512);
        bootSector.CopyTo(disk, 0);

        symbols.AddRange(bootSymbols);
        symbols.AddRange(trampolineSymbols);
        symbols.AddRange(setupSymbols);
        symbols.AddRange(head32Symbols);
        symbols.AddRange(kernelSymbols);
        symbols.Sort((x, y) => x.Address.CompareTo(y.Address));
        return new KernelImage(disk, symbols, options);
    }

    /// <summary>The first function called <paramref name="name"/> (the boot path's, before the trampoline's).</summary>
    /// <param name="name">A Linux name.</param>
    /// <returns>The symbol, or null.</returns>
    public KernelSymbol? Find(string name) =>
        Symbols.Where(s => s.Name == name).OrderByDescending(s => s.Address >= KernelLayout.ImageLoad).FirstOrDefault();

    /// <summary>The function containing <paramref name="address"/>.</summary>
    /// <param name="address">A code address.</param>
    /// <returns>The symbol, or null.</returns>
    public KernelSymbol? SymbolAt(ulong address)
    {
        var lo = 0;
        var hi = Symbols.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            var symbol = Symbols[mid];
            if (address < symbol.Address)
            {
                hi = mid - 1;
            }
            else if (symbol.Contains(address))
            {
                return symbol;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return null;
    }

    /// <summary>The symbol table in System.map form (<c>0000000000012345 T start_kernel</c>).</summary>
    /// <returns>The text, one line per function.</returns>
    public string SystemMap() => SystemMapWriter.Write(Symbols);

    private static AddressRange Page(ulong start) => new(start, start + KernelLayout.IstStackSize);

    private static int Offset(ulong address) => (int)(address - KernelLayout.ImageLoad);
}
