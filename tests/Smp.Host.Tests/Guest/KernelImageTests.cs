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

    /// <summary>The Linux variant's NMI entry labels (fact C2) and the handlers every variant has.</summary>
    public static readonly TheoryData<string> NestingNames = new(
        "asm_exc_nmi", "first_nmi", "nested_nmi", "nested_nmi_out", "repeat_nmi", "end_repeat_nmi", "nmi_restore",
        "do_nmi", "nmi_handle", "asm_exc_debug", "do_debug", "asm_exc_int3", "do_int3", "asm_exc_page_fault",
        "do_page_fault", "handle_stack_overflow", "asm_exc_double_fault", "do_double_fault", "debug_stack_set_zero",
        "debug_stack_reset", "smp_quirk_init_udelay");

    /// <summary>Entry points that are reached by a jump or an exception, not a call, and so build no frame.</summary>
    private static readonly HashSet<string> EntryPoints =
    [
        "bootsect_start", "start_of_setup", "protected_mode_jump", "startup_32", "startup_64",
        "secondary_startup_64", "trampoline_start", "first_nmi", "nested_nmi", "nested_nmi_out", "repeat_nmi",
        "end_repeat_nmi", "nmi_restore",
    ];

    public static readonly TheoryData<HandlerVariant> Variants = new(HandlerVariant.Naive, HandlerVariant.Linux);

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

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_64_bit_function_keeps_a_frame_pointer(HandlerVariant variant)
    {
        var image = KernelImage.Build(new KernelOptions(variant));
        foreach (var symbol in image.Symbols.Where(s => s.Address >= KernelLayout.Kernel64 && !EntryPoints.Contains(s.Name)))
        {
            var first = Decode(image, symbol.Address);
            if (symbol.Name.StartsWith("asm_exc_", StringComparison.Ordinal) && first.Mnemonic == Mnemonic.Push && first.Code != Code.Push_r64)
            {
                continue; // entry stub: push error code/vector/orig_ax first
            }

            if (symbol.Name.StartsWith("asm_exc_", StringComparison.Ordinal) && first.Code == Code.Push_r64 && first.Op0Register != Register.RBP)
            {
                continue; // entry stub: push regs (the CPU pushed the error code) or Linux's nmi (push rdx)
            }

            var second = Decode(image, symbol.Address + (ulong)first.Length);
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
        Assert.Equal(KernelLayout.IstStacks + KernelLayout.IstStride + 0x2000, KernelLayout.IstTop(1, 1));
        Assert.True(KernelLayout.IstStacks >= KernelLayout.BssEnd);
        Assert.True(KernelLayout.IstStacksEnd <= KernelLayout.IstStacks + 0x400000, "two page tables map the IST area");
        Assert.True(KernelLayout.KernelStackTop(KernelLayout.MaxCpus - 1) <= KernelLayout.BssEnd);
        Assert.True(KernelLayout.PerCpuArea(KernelLayout.MaxCpus) <= KernelLayout.KernelData);
        Assert.True(KernelLayout.TssOf(KernelLayout.MaxCpus) <= KernelLayout.PerCpu);
        Assert.True(KernelLayout.IstPageTables + 0x2000 <= KernelLayout.BssStart);
    }

    [Fact]
    public void The_db_stacks_step_down_by_db_stack_offset_into_the_hole_as_in_linux_5_2()
    {
        for (var cpu = 0; cpu < KernelLayout.MaxCpus; cpu++)
        {
            var db = KernelImage.DbStackRanges(cpu);
            var hole = KernelImage.GuardHoleRange(cpu);
            Assert.Equal(KernelLayout.IstTop(cpu, 3), db[0].End);
            Assert.Equal(db[0].End - KernelLayout.DbIstShift, db[1].End);
            Assert.Equal(db[1].End - KernelLayout.DbIstShift, hole.End);
            Assert.Contains(hole, KernelImage.GuardPages(cpu));
            Assert.DoesNotContain(db[1], KernelImage.GuardPages(cpu));
            Assert.True(KernelImage.NmiStackRange(cpu).End < hole.Start && hole.End < db[1].Start);
            Assert.True(KernelImage.DfStackRange(cpu).End <= KernelImage.NmiStackRange(cpu).Start);
            Assert.Equal(KernelLayout.IstPte(KernelLayout.NmiFaultPage(cpu)), KernelLayout.IstPageTables + (ulong)(cpu * 0x80) + (0xD * 8));
        }
    }

    [Theory]
    [MemberData(nameof(NestingNames))]
    public void The_linux_variant_has_every_nesting_symbol(string name)
    {
        var symbol = LinuxImage.Find(name);

        Assert.NotNull(symbol);
        Assert.True(symbol.Size > 0);
    }

    [Fact]
    public void The_naive_variant_has_no_nested_nmi_logic_but_the_same_handlers()
    {
        Assert.Null(Image.Find("repeat_nmi"));
        Assert.Null(Image.Find("debug_stack_set_zero"));
        foreach (var name in new[] { "asm_exc_nmi", "do_nmi", "nmi_handle", "asm_exc_debug", "do_debug", "do_int3", "do_page_fault", "do_double_fault" })
        {
            Assert.NotNull(Image.Find(name));
        }
    }

    [Fact]
    public void The_linux_nmi_entry_is_laid_out_in_entry_64_order()
    {
        string[] order = ["asm_exc_nmi", "nested_nmi", "nested_nmi_out", "first_nmi", "repeat_nmi", "end_repeat_nmi", "nmi_restore"];
        var addresses = order.Select(name => LinuxImage.Find(name)!.Address).ToArray();

        Assert.Equal(addresses.Order(), addresses);
        Assert.Equal(LinuxImage.Find("repeat_nmi")!.Address + LinuxImage.Find("repeat_nmi")!.Size, LinuxImage.Find("end_repeat_nmi")!.Address);
        var restore = LinuxImage.Find("nmi_restore")!;
        var last = Disassemble(LinuxImage, restore).ToArray();
        Assert.Equal(Mnemonic.Iretq, last[^1].Mnemonic);
        Assert.Equal(Mnemonic.Std, last[^3].Mnemonic);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_debug_entry_shifts_the_ist_only_in_the_linux_variant(HandlerVariant variant)
    {
        var image = KernelImage.Build(new KernelOptions(variant));
        var entry = Disassemble(image, image.Find("asm_exc_debug")!).ToArray();
        var shifts = entry.Where(i => (i.Mnemonic is Mnemonic.Sub or Mnemonic.Add) && i.Op0Kind == OpKind.Memory && i.MemoryDisplacement64 == 0x34).ToArray();

        Assert.Equal(variant == HandlerVariant.Linux ? 2 : 0, shifts.Length);
        Assert.All(shifts, i => Assert.Equal(KernelLayout.DbIstShift, (ulong)i.GetImmediate(1)));
    }

    [Fact]
    public void An_init_udelay_override_is_stored_and_the_default_follows_cpuid()
    {
        var overridden = Disassemble(
            KernelImage.Build(new KernelOptions(InitUdelayMicroseconds: 1234)),
            KernelImage.Build(new KernelOptions(InitUdelayMicroseconds: 1234)).Find("smp_quirk_init_udelay")!).ToArray();
        var rule = Disassemble(Image, Image.Find("smp_quirk_init_udelay")!).ToArray();

        Assert.Contains(overridden, i => i.Mnemonic == Mnemonic.Mov && i.Op0Kind == OpKind.Memory && i.MemoryDisplacement64 == KernelLayout.InitUdelay && i.GetImmediate(1) == 1234);
        Assert.DoesNotContain(overridden, i => i.Mnemonic == Mnemonic.Cpuid);
        Assert.Contains(rule, i => i.Mnemonic == Mnemonic.Cpuid);
        Assert.Contains(rule, i => i.Op0Kind == OpKind.Memory && i.MemoryDisplacement64 == KernelLayout.InitUdelay && i.GetImmediate(1) == 10000);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelImage.Build(new KernelOptions(InitUdelayMicroseconds: -1)));
    }

    private static readonly KernelImage LinuxImage = KernelImage.Build(new KernelOptions(HandlerVariant.Linux));

    private static IEnumerable<Instruction> Disassemble(KernelImage image, KernelSymbol symbol)
    {
        var offset = (int)(symbol.Address - KernelLayout.ImageLoad);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(image.Disk, offset, (int)symbol.Size));
        decoder.IP = symbol.Address;
        while (decoder.IP < symbol.Address + symbol.Size)
        {
            yield return decoder.Decode();
        }
    }

    private static Instruction Decode(KernelImage image, ulong address)
    {
        var offset = (int)(address - KernelLayout.ImageLoad);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(image.Disk, offset, image.Disk.Length - offset));
        decoder.IP = address;
        return decoder.Decode();
    }
}
