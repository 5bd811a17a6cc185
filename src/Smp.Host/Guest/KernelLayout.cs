namespace Smp.Host.Guest;

/// <summary>
/// Fixed physical addresses of the built-in kernel. Everything is identity-mapped (the first 4 GiB with
/// 2 MiB pages, except the exception-stack area, mapped with 4 KiB pages so that its guard pages are really
/// not present), so these are also the virtual addresses. The simulator reads per-CPU state back from here.
/// </summary>
public static class KernelLayout
{
    /// <summary>CPUs the kernel supports (statically sized arrays, one bit each in the masks).</summary>
    public const int MaxCpus = 64;

    /// <summary>Where the BIOS loads the boot sector.</summary>
    public const ulong BootSector = 0x7C00;

    /// <summary>Where the BSP copies the real-mode trampoline (page-aligned: SIPI vector 0x08).</summary>
    public const ulong Trampoline = 0x8000;

    /// <summary>Bytes of the trampoline blob (code and <c>trampoline_header</c>).</summary>
    public const int TrampolineSize = 0x300;

    /// <summary>Offset of <c>trampoline_header</c> in the blob: start (u64), cr3 (u32), efer (u32), cr4 (u32).</summary>
    public const int TrampolineHeader = 0x200;

    /// <summary>The boot_params "zero page": e820_entries at +0x1E8, e820_table at +0x2D0 (20-byte entries).</summary>
    public const ulong ZeroPage = 0x9000;

    /// <summary>Where the boot sector loads the whole image (INT 13h AH=42h); image offset 0 is here.</summary>
    public const ulong ImageLoad = 0x10000;

    /// <summary>Real-mode setup code (<c>start_of_setup</c>), run with CS = 0x1000.</summary>
    public const ulong Setup = 0x10200;

    /// <summary>Setup's fixed data: boot GDT (+0), its descriptor (+0x20), the null IDT descriptor (+0x28).</summary>
    public const ulong SetupData = 0x10E00;

    /// <summary>The 32-bit <c>startup_32</c> of the boot path.</summary>
    public const ulong Head32 = 0x11000;

    /// <summary>Where the trampoline blob sits in the loaded image before the BSP copies it.</summary>
    public const ulong TrampolineImage = 0x11800;

    /// <summary>The 64-bit kernel (<c>startup_64</c> first).</summary>
    public const ulong Kernel64 = 0x12000;

    /// <summary>init_top_pgt: PML4 here, PDPT at +0x1000, four page directories at +0x2000 (4 GiB, 2 MiB pages).</summary>
    public const ulong PageTables = 0x100000;

    /// <summary>The two page tables (4 KiB pages) that map <see cref="IstStacks"/> to <see cref="IstStacksEnd"/>;
    /// page directory entries 2 and 3 point here instead of mapping 2 MiB pages.</summary>
    public const ulong IstPageTables = 0x106000;

    /// <summary>Start of the zeroed kernel BSS.</summary>
    public const ulong BssStart = 0x110000;

    /// <summary>End of the zeroed kernel BSS.</summary>
    public const ulong BssEnd = 0x400000;

    /// <summary>The shared 64-bit IDT (256 gates of 16 bytes).</summary>
    public const ulong Idt = 0x110000;

    /// <summary>debug_idt_table: a copy of the IDT whose #DB gate has IST 0 (fact C3), loaded by <c>do_nmi</c>
    /// when the NMI interrupted code on a debug stack (Linux variant).</summary>
    public const ulong DebugIdt = 0x111000;

    /// <summary>Per-CPU GDT pages (one page each; 16 entries, TSS descriptor at selector 0x40).</summary>
    public const ulong GdtPages = 0x120000;

    /// <summary>Distance between two CPUs' GDT pages.</summary>
    public const ulong GdtPageStride = 0x1000;

    /// <summary>GDT limit loaded by every CPU (16 entries).</summary>
    public const ushort GdtLimit = 0x7F;

    /// <summary>Per-CPU TSSs (x86_hw_tss, 0x68 bytes).</summary>
    public const ulong Tss = 0x160000;

    /// <summary>Distance between two CPUs' TSSs.</summary>
    public const ulong TssStride = 0x80;

    /// <summary>Per-CPU areas (IA32_GS_BASE of each CPU); the first qword points to itself.</summary>
    public const ulong PerCpu = 0x170000;

    /// <summary>Distance between two CPUs' per-CPU areas.</summary>
    public const ulong PerCpuStride = 0x1000;

    /// <summary>Per-CPU field: the area's own address (<c>gs:[0]</c>).</summary>
    public const int PerCpuSelf = 0x00;

    /// <summary>Per-CPU field: the logical CPU number.</summary>
    public const int PerCpuNumber = 0x08;

    /// <summary>Per-CPU field: the local APIC ID.</summary>
    public const int PerCpuApicId = 0x10;

    /// <summary>Per-CPU field: NMIs handled (u64).</summary>
    public const int PerCpuNmiCount = 0x18;

    /// <summary>Per-CPU field: #DB exceptions handled (u64).</summary>
    public const int PerCpuDebugCount = 0x20;

    /// <summary>Per-CPU field: #BP exceptions handled (u64).</summary>
    public const int PerCpuBreakpointCount = 0x28;

    /// <summary>Per-CPU field: <c>nmi_touch_var</c>, a u64 <c>nmi_handle</c> increments on every pass (a data-breakpoint target).</summary>
    public const int PerCpuNmiTouchVar = 0x48;

    /// <summary>Per-CPU field: <c>nmi_cr2</c>, CR2 saved by <c>do_nmi</c> and restored if a nested #PF changed it.</summary>
    public const int PerCpuNmiCr2 = 0x50;

    /// <summary>Per-CPU field: <c>update_debug_stack</c>, 1 while <c>do_nmi</c> runs on the debug IDT (Linux variant).</summary>
    public const int PerCpuUpdateDebugStack = 0x58;

    /// <summary>Per-CPU field: page faults handled by <c>do_page_fault</c> (u64).</summary>
    public const int PerCpuPageFaultCount = 0x60;

    /// <summary>Per-CPU field: the address of this CPU's NMI demand page (not present until the NMI handler touches it).</summary>
    public const int PerCpuNmiFaultPage = 0x68;

    /// <summary>Per-CPU field: the address of the PTE of that page.</summary>
    public const int PerCpuNmiFaultPte = 0x70;

    /// <summary>Per-CPU field: <c>int1_request</c> (u64). While non-zero, every <c>nmi_handle</c> pass executes INT1
    /// (ICEBP, 0xF1) once: a debugger-planted INT1 that the simulator arms and disarms by writing guest memory.</summary>
    public const int PerCpuInt1Request = 0x78;

    /// <summary>Per-CPU field: this CPU's GDT page.</summary>
    public const int PerCpuGdt = 0x30;

    /// <summary>Per-CPU field: this CPU's TSS.</summary>
    public const int PerCpuTss = 0x38;

    /// <summary>Per-CPU field: the top of this CPU's kernel stack.</summary>
    public const int PerCpuStackTop = 0x40;

    /// <summary>Kernel variables (cpumasks, handoff to secondary_startup_64, CPU table).</summary>
    public const ulong KernelData = 0x1C0000;

    /// <summary>cpu_online_mask: u64, bit n = logical CPU n online.</summary>
    public const ulong CpuOnlineMask = KernelData + 0x00;

    /// <summary>cpu_callin_mask: u64, set by each AP in <c>smp_callin</c>.</summary>
    public const ulong CpuCallinMask = KernelData + 0x08;

    /// <summary>nr_cpu_ids: u32, CPUs found in the MADT (at most <see cref="MaxCpus"/>).</summary>
    public const ulong NrCpuIds = KernelData + 0x10;

    /// <summary>tsc_khz: u64, from PIT calibration.</summary>
    public const ulong TscKhz = KernelData + 0x18;

    /// <summary>boot_cpu_physical_apicid: u32.</summary>
    public const ulong BootCpuApicId = KernelData + 0x20;

    /// <summary>Address of the ACPI RSDP found (u64, 0 if none).</summary>
    public const ulong AcpiRsdp = KernelData + 0x28;

    /// <summary>initial_code: u64, where secondary_startup_64 jumps.</summary>
    public const ulong InitialCode = KernelData + 0x30;

    /// <summary>initial_gs: u64, the per-CPU area secondary_startup_64 writes to IA32_GS_BASE.</summary>
    public const ulong InitialGs = KernelData + 0x38;

    /// <summary>initial_stack: u64, the stack top secondary_startup_64 loads.</summary>
    public const ulong InitialStack = KernelData + 0x40;

    /// <summary>early_gdt_descr: u16 limit, u64 base (the GDT page of the CPU being booted).</summary>
    public const ulong EarlyGdtDescr = KernelData + 0x48;

    /// <summary>idt_descr: u16 limit, u64 base.</summary>
    public const ulong IdtDescr = KernelData + 0x58;

    /// <summary>Address of the MADT found (u64, 0 if none).</summary>
    public const ulong AcpiMadt = KernelData + 0x68;

    /// <summary>debug_idt_descr: u16 limit, u64 base of <see cref="DebugIdt"/> (Linux variant).</summary>
    public const ulong DebugIdtDescr = KernelData + 0x70;

    /// <summary>init_udelay: u32 µs between INIT assert and de-assert, chosen by <c>smp_quirk_init_udelay</c> (fact A3).</summary>
    public const ulong InitUdelay = KernelData + 0x80;

    /// <summary>x86_cpu_to_apicid: u32 per logical CPU.</summary>
    public const ulong CpuToApicId = KernelData + 0x100;

    /// <summary>
    /// Exception (IST) stacks, as Linux 5.2–5.7's cpu_entry_area (facts B5, B6): per CPU, 4 KiB pages
    /// guard, DF, guard, NMI, guard, DB2 (never mapped: the hole), guard, DB1, guard, DB, guard, MCE, guard,
    /// then the NMI demand page. Guards, the DB2 hole and the demand page are not present.
    /// </summary>
    public const ulong IstStacks = 0x400000;

    /// <summary>Distance between two CPUs' IST stack groups.</summary>
    public const ulong IstStride = 0x10000;

    /// <summary>End of the IST area (<see cref="MaxCpus"/> groups).</summary>
    public const ulong IstStacksEnd = IstStacks + (MaxCpus * IstStride);

    /// <summary>Size of one IST stack (EXCEPTION_STKSZ).</summary>
    public const ulong IstStackSize = 0x1000;

    /// <summary>Bottom of the #DF stack in a CPU's group (gate IST 1, tss.ist[0]).</summary>
    public const ulong DfStackOffset = 0x1000;

    /// <summary>Bottom of the NMI stack (gate IST 2, tss.ist[1]).</summary>
    public const ulong NmiStackOffset = 0x3000;

    /// <summary>Bottom of the DB2 "stack": an unmapped hole that catches a third nested #DB.</summary>
    public const ulong Db2StackOffset = 0x5000;

    /// <summary>Bottom of the DB1 stack (nested #DB).</summary>
    public const ulong Db1StackOffset = 0x7000;

    /// <summary>Bottom of the DB stack (gate IST 3, tss.ist[2]).</summary>
    public const ulong DbStackOffset = 0x9000;

    /// <summary>Bottom of the #MC stack (gate IST 4, tss.ist[3]).</summary>
    public const ulong McStackOffset = 0xB000;

    /// <summary>The NMI demand page: not present until <c>do_page_fault</c> maps it for <c>nmi_handle</c>.</summary>
    public const ulong NmiFaultPageOffset = 0xD000;

    /// <summary>DB_STACK_OFFSET: how far #DB entry lowers tss.ist[IST_INDEX_DB] while <c>do_debug</c> runs (two pages).</summary>
    public const ulong DbIstShift = 0x2000;

    /// <summary>Offsets (in a CPU's group) of the pages that are never present: guards and the DB2 hole.</summary>
    public static readonly ulong[] GuardPageOffsets = [0x0000, 0x2000, 0x4000, 0x5000, 0x6000, 0x8000, 0xA000, 0xC000];

    /// <summary>Kernel stacks (THREAD_SIZE 16 KiB each).</summary>
    public const ulong KernelStacks = 0x300000;

    /// <summary>Size of one kernel stack.</summary>
    public const ulong KernelStackSize = 0x4000;

    /// <summary>The GDT page of <paramref name="cpu"/>.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its physical address.</returns>
    public static ulong GdtPage(int cpu) => GdtPages + ((ulong)cpu * GdtPageStride);

    /// <summary>The TSS of <paramref name="cpu"/>.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its physical address.</returns>
    public static ulong TssOf(int cpu) => Tss + ((ulong)cpu * TssStride);

    /// <summary>The per-CPU area (gs-base) of <paramref name="cpu"/>.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its physical address.</returns>
    public static ulong PerCpuArea(int cpu) => PerCpu + ((ulong)cpu * PerCpuStride);

    /// <summary>The top of IST stack <paramref name="ist"/> (gate IST field 1 #DF, 2 NMI, 3 #DB, 4 #MC) of <paramref name="cpu"/>.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <param name="ist">1 to 4.</param>
    /// <returns>The value in tss.ist[ist - 1].</returns>
    public static ulong IstTop(int cpu, int ist) => IstGroup(cpu) + ist switch
    {
        1 => DfStackOffset,
        2 => NmiStackOffset,
        3 => DbStackOffset,
        4 => McStackOffset,
        _ => throw new ArgumentOutOfRangeException(nameof(ist), ist, "gate IST fields 1 to 4 are used."),
    } + IstStackSize;

    /// <summary>The first byte of <paramref name="cpu"/>'s IST group (its #DF guard page).</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>The address.</returns>
    public static ulong IstGroup(int cpu) => IstStacks + ((ulong)cpu * IstStride);

    /// <summary>The NMI demand page of <paramref name="cpu"/>.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>Its address.</returns>
    public static ulong NmiFaultPage(int cpu) => IstGroup(cpu) + NmiFaultPageOffset;

    /// <summary>The page-table entry that maps <paramref name="address"/> inside the IST area.</summary>
    /// <param name="address">An address in [<see cref="IstStacks"/>, <see cref="IstStacksEnd"/>).</param>
    /// <returns>The PTE's physical address.</returns>
    public static ulong IstPte(ulong address) => IstPageTables + (((address - IstStacks) >> 12) * 8);

    /// <summary>The top of the kernel stack of <paramref name="cpu"/>.</summary>
    /// <param name="cpu">Logical CPU number.</param>
    /// <returns>The initial RSP handed to it.</returns>
    public static ulong KernelStackTop(int cpu) => KernelStacks + ((ulong)(cpu + 1) * KernelStackSize);
}
