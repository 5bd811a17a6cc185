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

    /// <summary>Base of the IST stacks (stride <see cref="KernelLayout.IstStride"/> per CPU; #DF, NMI, #DB, #MC).</summary>
    public ulong IstStacksBase => KernelLayout.IstStacks;

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

    private static int Offset(ulong address) => (int)(address - KernelLayout.ImageLoad);
}
