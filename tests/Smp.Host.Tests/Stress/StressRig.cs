using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;

namespace Smp.Host.Tests.Stress;

/// <summary>
/// One long-mode CPU (identity-mapped 2 MiB pages over 64 MiB, code at 1 MiB, task stack top 2 MiB),
/// an IDT at 0x60000 (all gates absent), a 64-bit TSS at 0x68000 and handlers at 4 MiB + vector × 0x100.
/// </summary>
internal sealed class StressRig : IDisposable
{
    public const ulong CodeBase = 0x10_0000, StackTop = 0x20_0000, DataBase = 0x30_0000;
    public const ulong PageTables = 0x8_0000, GdtBase = 0x7_0000, IdtBase = 0x6_0000, TssBase = 0x6_8000;
    public const ulong HandlerBase = 0x40_0000;

    public PhysicalMemory Memory { get; } = new(64 << 20);
    public CpuCore Cpu { get; }

    public StressRig(CpuObserver? observer)
    {
        var mem = Memory;
        mem.Write(PageTables, 8, (PageTables + 0x1000) | 7);
        mem.Write(PageTables + 0x1000, 8, (PageTables + 0x2000) | 7);
        for (ulong i = 0; i < 32; i++) mem.Write(PageTables + 0x2000 + i * 8, 8, (i << 21) | 0x87);
        mem.Write(GdtBase + 0x08, 8, 0x00CF_9B00_0000_FFFFUL);
        mem.Write(GdtBase + 0x10, 8, 0x00AF_9B00_0000_FFFFUL);
        mem.Write(GdtBase + 0x18, 8, 0x00CF_9300_0000_FFFFUL);
        var c = Cpu = new CpuCore(mem);
        c.Cr3 = PageTables;
        c.Cr4 = 0x20;
        c.Efer = 0x500;
        c.Cr0 = 0x8000_0011;
        c.Gdtr = new DescriptorTableRegister { Base = GdtBase, Limit = 0x4F };
        c.Idtr = new DescriptorTableRegister { Base = IdtBase, Limit = 0xFFF };
        c.Tr = new SegmentRegister { Selector = 0x40, Base = TssBase, Limit = 0x67, Attributes = 0x8B };
        c.Segs[Seg.CS] = new SegmentRegister { Selector = 0x10, Base = 0, Limit = 0xFFFF_FFFF, Attributes = 0xA09B };
        for (int s = 0; s < 6; s++)
            if (s != Seg.CS) c.Segs[s] = new SegmentRegister { Selector = 0x18, Base = 0, Limit = 0xFFFF_FFFF, Attributes = 0xC093 };
        c.Cpl = 0;
        c.Rip = CodeBase;
        c.R[Reg.RSP] = StackTop;
        c.R[Reg.RDX] = 0;
        c.UpdateMode();
        c.FlushTlb();
        c.Observer = observer;
    }

    public void Dispose() => Memory.Dispose();

    public static ulong HandlerAt(int vector) => HandlerBase + (ulong)vector * 0x100;

    public void Gate(int vector, int ist = 0, int type = 0xE)
    {
        ulong offset = HandlerAt(vector);
        ulong lo = (offset & 0xFFFF) | (0x10UL << 16) | ((ulong)(ist & 7) << 32) | ((ulong)type << 40) | (1UL << 47) | ((offset >> 16 & 0xFFFF) << 48);
        Memory.Write(IdtBase + (ulong)vector * 16, 8, lo);
        Memory.Write(IdtBase + (ulong)vector * 16 + 8, 8, offset >> 32);
    }

    public static ulong IstSlot(int index) => TssBase + 0x24 + (ulong)(index - 1) * 8;

    public void Ist(int index, ulong top) => Memory.Write(IstSlot(index), 8, top);

    public void Load(ulong address, Action<Assembler> build)
    {
        var a = new Assembler(64);
        build(a);
        var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), address);
        Memory.Load(address, stream.ToArray());
    }

    public void Handler(int vector, Action<Assembler> build) => Load(HandlerAt(vector), build);

    /// <summary>Main code: an endless loop of NOPs.</summary>
    public void IdleLoop() => Load(CodeBase, a => { var l = a.CreateLabel(); a.Label(ref l); a.nop(); a.jmp(l); });

    public long Run(long budget) => Cpu.Run(budget);
}
