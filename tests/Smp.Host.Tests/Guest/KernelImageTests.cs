using Iced.Intel;
using Smp.Host.Guest;

namespace Smp.Host.Tests.Guest;

public sealed class KernelImageTests
{
    private static readonly KernelImage Image = KernelImage.Build();

    /// <summary>The boot path's Linux names the issue asks for.</summary>
    public static readonly TheoryData<string> LinuxNames = new(
        "start_of_setup", "main", "detect_memory", "detect_memory_e820", "go_to_protected_mode", "enable_a20",
        "mask_all_interrupts", "setup_idt", "setup_gdt", "protected_mode_jump", "startup_32", "startup_64",
        "x86_64_start_kernel", "start_kernel", "setup_arch", "trap_init", "cpu_init", "mm_core_init", "sched_init",
        "time_init", "pit_calibrate_tsc", "udelay", "rest_init", "kernel_init", "smp_init", "do_boot_cpu",
        "wakeup_secondary_cpu_via_init", "trampoline_start", "secondary_startup_64", "start_secondary",
        "smp_callin", "cpu_idle", "setup_per_cpu_areas", "acpi_boot_init", "asm_exc_nmi", "asm_exc_debug",
        "asm_exc_double_fault", "asm_exc_machine_check");

    /// <summary>Entry points that are reached by a jump, not a call, and so build no frame.</summary>
    private static readonly HashSet<string> EntryPoints =
    [
        "bootsect_start", "start_of_setup", "protected_mode_jump", "startup_32", "startup_64",
        "secondary_startup_64", "trampoline_start",
    ];

    [Fact]
    public void The_disk_is_whole_sectors_with_a_boot_signature()
    {
        Assert.Equal(0, Image.Disk.Length % 512);
        Assert.Equal(0x55, Image.Disk[510]);
        Assert.Equal(0xAA, Image.Disk[511]);
        Assert.True(Image.Disk.Length <= 0x20000, "the image must fit in the 0x10000-0x2FFFF load window");
    }

    [Theory]
    [MemberData(nameof(LinuxNames))]
    public void Every_boot_path_function_has_its_Linux_name(string name)
    {
        var symbol = Image.Find(name);

        Assert.NotNull(symbol);
        Assert.True(symbol.Size > 0);
    }

    [Fact]
    public void Symbols_are_sorted_and_do_not_overlap()
    {
        for (var i = 1; i < Image.Symbols.Count; i++)
        {
            var previous = Image.Symbols[i - 1];
            var current = Image.Symbols[i];
            Assert.True(previous.Address + previous.Size <= current.Address, $"{previous} overlaps {current}");
        }
    }

    [Fact]
    public void The_trampoline_is_page_aligned_below_1_MiB_and_its_symbols_run_there()
    {
        Assert.Equal(0UL, Image.TrampolineAddress % 0x1000);
        Assert.True(Image.TrampolineAddress < 0x100000);
        var start = Image.Symbols.Single(s => s.Name == "trampoline_start");
        Assert.Equal(Image.TrampolineAddress, start.Address);
        Assert.Equal(2, Image.Symbols.Count(s => s.Name == "startup_32"));
        Assert.Equal(KernelLayout.Head32, Image.Find("startup_32")!.Address);
    }

    [Fact]
    public void Every_64_bit_function_keeps_a_frame_pointer()
    {
        foreach (var symbol in Image.Symbols.Where(s => s.Address >= KernelLayout.Kernel64 && !EntryPoints.Contains(s.Name)))
        {
            var first = Decode(symbol.Address);
            if (symbol.Name.StartsWith("asm_exc_", StringComparison.Ordinal) && first.Mnemonic == Mnemonic.Push && first.Op0Kind != OpKind.Register)
            {
                continue; // entry stub: push error code/vector, jmp asm_exc_common
            }

            var second = Decode(symbol.Address + (ulong)first.Length);
            Assert.True(
                first.Code == Code.Push_r64 && first.Op0Register == Register.RBP &&
                second.Mnemonic == Mnemonic.Mov && second.Op0Register == Register.RBP && second.Op1Register == Register.RSP,
                $"{symbol.Name} starts with {first} ; {second}");
        }
    }

    [Fact]
    public void Find_and_SymbolAt_agree()
    {
        var startKernel = Image.Find("start_kernel")!;

        Assert.Same(startKernel, Image.SymbolAt(startKernel.Address + 1));
        Assert.Null(Image.SymbolAt(0));
    }

    [Fact]
    public void The_system_map_has_one_line_per_symbol_in_Linux_format()
    {
        var lines = Image.SystemMap().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(Image.Symbols.Count, lines.Length);
        var startKernel = Image.Find("start_kernel")!;
        Assert.Contains($"{startKernel.Address:x16} T start_kernel", lines);
        Assert.All(lines, line => Assert.Matches("^[0-9a-f]{16} T [A-Za-z_][A-Za-z0-9_]*$", line));
    }

    [Fact]
    public void The_layout_gives_each_cpu_distinct_pages_and_stacks()
    {
        Assert.Equal(KernelLayout.GdtPages + 0x1000, KernelLayout.GdtPage(1));
        Assert.Equal(KernelLayout.IstStacks + KernelLayout.IstStride + 0x1000, KernelLayout.IstTop(1, 1));
        Assert.True(KernelLayout.IstTop(KernelLayout.MaxCpus - 1, 4) <= KernelLayout.KernelStacks);
        Assert.True(KernelLayout.KernelStackTop(KernelLayout.MaxCpus - 1) <= KernelLayout.BssEnd);
        Assert.True(KernelLayout.PerCpuArea(KernelLayout.MaxCpus) <= KernelLayout.KernelData);
        Assert.True(KernelLayout.TssOf(KernelLayout.MaxCpus) <= KernelLayout.PerCpu);
    }

    [Fact]
    public void The_linux_handler_variant_is_not_built_yet()
    {
        Assert.Throws<NotSupportedException>(() => KernelImage.Build(new KernelOptions(HandlerVariant.Linux)));
    }

    private static Instruction Decode(ulong address)
    {
        var offset = (int)(address - KernelLayout.ImageLoad);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(Image.Disk, offset, Image.Disk.Length - offset));
        decoder.IP = address;
        return decoder.Decode();
    }
}
