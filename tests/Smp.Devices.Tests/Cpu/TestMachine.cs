using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;

namespace Smp.Devices.Tests.Cpu;

/// <summary>
/// A single CPU with RAM, placed directly in a chosen mode so instruction tests need no boot code:
/// 64-bit long mode with identity-mapped 2 MiB pages over the first 64 MiB, 32-bit flat protected
/// mode, or real mode. Code is assembled with Iced and loaded at <see cref="CodeBase"/>.
/// </summary>
public sealed class TestMachine : IDisposable
{
    public const ulong CodeBase = 0x10_0000;     // 1 MiB
    public const ulong StackTop = 0x20_0000;     // 2 MiB
    public const ulong DataBase = 0x30_0000;     // 3 MiB
    public const ulong PageTables = 0x8_0000;    // PML4 at 512 KiB, PDPT +4K, PD +8K
    public const ulong GdtBase = 0x7_0000;

    public PhysicalMemory Memory { get; }
    public CpuCore Cpu { get; }

    private TestMachine(ulong ramBytes)
    {
        Memory = new PhysicalMemory(ramBytes);
        // Translate hot code early and synchronously, so every test that loops also runs the JIT's code.
        Cpu = new CpuCore(Memory) { JitThreshold = 16, JitWaits = true };
    }

    public void Dispose() => Memory.Dispose();

    /// <summary>A CPU in 64-bit mode, CPL 0, paging on (identity map of the first 64 MiB), RSP = <see cref="StackTop"/>.</summary>
    public static TestMachine LongMode(ulong ramBytes = 64 << 20)
    {
        var m = new TestMachine(ramBytes);
        var mem = m.Memory;
        // PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = 2 MiB pages, present + writable + user.
        mem.Write(PageTables, 8, (PageTables + 0x1000) | 7);
        mem.Write(PageTables + 0x1000, 8, (PageTables + 0x2000) | 7);
        for (ulong i = 0; i < 32; i++) mem.Write(PageTables + 0x2000 + i * 8, 8, (i << 21) | 0x87);
        WriteFlatGdt(mem);
        var c = m.Cpu;
        c.Cr3 = PageTables;
        c.Cr4 = 0x20;                         // PAE
        c.Efer = 0x500;                       // LME | LMA
        c.Cr0 = 0x8000_0011;                  // PG | ET | PE
        c.Gdtr = new DescriptorTableRegister { Base = GdtBase, Limit = 0x27 };
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x10, Base = 0, Limit = 0xFFFF_FFFF, Attributes = 0xA09B };
        for (int s = 0; s < 6; s++)
            if (s != Seg.CS) c.Segs[s] = new SegmentRegister { Selector = 0x18, Base = 0, Limit = 0xFFFF_FFFF, Attributes = 0xC093 };
        c.Cpl = 0;
        c.Rip = CodeBase;
        c.R[Reg.RSP] = StackTop;
        c.UpdateMode();
        c.FlushTlb();
        return m;
    }

    /// <summary>A CPU in 32-bit flat protected mode without paging.</summary>
    public static TestMachine Protected32(ulong ramBytes = 64 << 20)
    {
        var m = new TestMachine(ramBytes);
        WriteFlatGdt(m.Memory);
        var c = m.Cpu;
        c.Cr0 = 0x11;
        c.Gdtr = new DescriptorTableRegister { Base = GdtBase, Limit = 0x27 };
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x08, Base = 0, Limit = 0xFFFF_FFFF, Attributes = 0xC09B };
        for (int s = 0; s < 6; s++)
            if (s != Seg.CS) c.Segs[s] = new SegmentRegister { Selector = 0x18, Base = 0, Limit = 0xFFFF_FFFF, Attributes = 0xC093 };
        c.Rip = CodeBase;
        c.R[Reg.RSP] = StackTop;
        c.UpdateMode();
        c.FlushTlb();
        return m;
    }

    /// <summary>A CPU in real mode with CS = DS = ES = SS = 0, IP = 0x7C00, SP = 0x7000.</summary>
    public static TestMachine RealMode(ulong ramBytes = 16 << 20)
    {
        var m = new TestMachine(ramBytes);
        var c = m.Cpu;
        for (int s = 0; s < 6; s++) c.Segs[s] = SegmentRegister.RealMode(0);
        c.Segs[Seg.CS] = SegmentRegister.RealMode(0, 0x9B);
        c.Rip = 0x7C00;
        c.R[Reg.RSP] = 0x7000;
        c.Idtr = new DescriptorTableRegister { Base = 0, Limit = 0x3FF };
        c.UpdateMode();
        return m;
    }

    /// <summary>
    /// Long mode only: replaces the 2 MiB identity page holding <paramref name="address"/> by a page table of
    /// 4 KiB identity pages (present, writable, user), so that single pages can be unmapped with <see cref="SetPagePresent"/>.
    /// </summary>
    public void SplitLargePage(ulong address)
    {
        ulong index = address >> 21;
        ulong table = PageTables + 0x3000 + index * 0x1000;
        for (ulong j = 0; j < 512; j++) Memory.Write(table + j * 8, 8, ((index << 21) + (j << 12)) | 7);
        Memory.Write(PageTables + 0x2000 + index * 8, 8, table | 7);
        Cpu.FlushTlb();
    }

    /// <summary>Sets or clears the present bit of the 4 KiB page holding <paramref name="address"/> (after <see cref="SplitLargePage"/>).</summary>
    public void SetPagePresent(ulong address, bool present)
    {
        ulong table = PageTables + 0x3000 + (address >> 21) * 0x1000;
        ulong entry = table + ((address >> 12) & 511) * 8;
        ulong e = Memory.Read(entry, 8);
        Memory.Write(entry, 8, present ? e | 1 : e & ~1UL);
        Cpu.FlushTlb();
    }

    // GDT: null, 0x08 32-bit code, 0x10 64-bit code, 0x18 data, 0x20 16-bit code.
    private static void WriteFlatGdt(PhysicalMemory mem)
    {
        mem.Write(GdtBase + 0x00, 8, 0);
        mem.Write(GdtBase + 0x08, 8, 0x00CF_9B00_0000_FFFFUL);
        mem.Write(GdtBase + 0x10, 8, 0x00AF_9B00_0000_FFFFUL);
        mem.Write(GdtBase + 0x18, 8, 0x00CF_9300_0000_FFFFUL);
        mem.Write(GdtBase + 0x20, 8, 0x000F_9B00_0000_FFFFUL);
    }

    /// <summary>Assembles code for the CPU's current code size at its current RIP's linear address and loads it there.</summary>
    public void Load(Action<Assembler> build) => Load(Cpu.Bitness == 64 ? CodeBase : Cpu.CurrentLinearIp, build);

    /// <summary>Assembles code at <paramref name="address"/> and loads it there.</summary>
    public void Load(ulong address, Action<Assembler> build)
    {
        var a = new Assembler(Cpu.Bitness);
        build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        Memory.Load(address, stream.ToArray());
    }

    /// <summary>Runs until the CPU halts or <paramref name="budget"/> instructions pass; returns budget units used.</summary>
    public long Run(long budget = 1_000_000) => Cpu.Run(budget);
}
