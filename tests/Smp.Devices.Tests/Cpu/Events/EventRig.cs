using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Memory;

namespace Smp.Devices.Tests.Cpu.Events;

/// <summary>Records delivered events (with the first six frame words) and IRETs.</summary>
internal sealed class RecordingObserver : CpuObserver
{
    public readonly List<EventDelivery> Events = new();
    public readonly List<ulong[]> Frames = new();
    public readonly List<(ulong From, ulong To)> Irets = new();
    public readonly List<string> Shutdowns = new();

    public override void EventDelivered(CpuCore cpu, in EventDelivery d)
    {
        Events.Add(d);
        var words = new ulong[6];
        int w = cpu.Is64 || cpu.LongModeActive ? 8 : cpu.Bitness == 32 ? 4 : 2;
        ulong baseAddr = cpu.Is64 ? d.RspAfter : cpu.Segs[Seg.SS].Base + d.RspAfter;
        for (int i = 0; i < 6; i++) words[i] = cpu.Memory.Read(baseAddr + (ulong)(i * w), w);
        Frames.Add(words);
    }

    public override void Iret(CpuCore cpu, ulong fromRip, ulong toRip) => Irets.Add((fromRip, toRip));

    public override void Shutdown(CpuCore cpu, string reason) => Shutdowns.Add(reason);
}

/// <summary>A maskable-interrupt source whose pending state is a predicate over the CPU.</summary>
internal sealed class FakeInterruptSource(CpuCore cpu, int vector, Func<CpuCore, bool> pending) : IInterruptSource
{
    public int Acknowledged;
    public bool Once = true;

    public bool HasPendingInterrupt => (!Once || Acknowledged == 0) && pending(cpu);

    public int AcknowledgeInterrupt()
    {
        Acknowledged++;
        return vector;
    }
}

/// <summary>IDT/TSS/GDT builders for the event tests.</summary>
internal static class EventRig
{
    public const ulong IdtBase = 0x6_0000;
    public const ulong TssBase = 0x6_8000;
    public const ulong HandlerBase = 0x40_0000;   // 4 MiB: handlers at HandlerBase + vector * 0x100

    public static ulong HandlerAt(int vector) => HandlerBase + (ulong)vector * 0x100;

    /// <summary>Writes a 16-byte IA-32e gate.</summary>
    public static void Gate64(PhysicalMemory mem, int vector, ulong offset, int ist = 0, int type = 0xE, int dpl = 0, bool present = true, ushort selector = 0x10)
    {
        ulong lo = (offset & 0xFFFF) | ((ulong)selector << 16) | ((ulong)(ist & 7) << 32) | ((ulong)type << 40)
            | ((ulong)dpl << 45) | (present ? 1UL << 47 : 0) | ((offset >> 16 & 0xFFFF) << 48);
        mem.Write(IdtBase + (ulong)vector * 16, 8, lo);
        mem.Write(IdtBase + (ulong)vector * 16 + 8, 8, offset >> 32);
    }

    /// <summary>Writes an 8-byte protected-mode gate.</summary>
    public static void Gate32(PhysicalMemory mem, int vector, ulong offset, int type = 0xE, int dpl = 0, ushort selector = 0x08)
    {
        ulong g = (offset & 0xFFFF) | ((ulong)selector << 16) | ((ulong)type << 40) | ((ulong)dpl << 45) | (1UL << 47) | ((offset >> 16 & 0xFFFF) << 48);
        mem.Write(IdtBase + (ulong)vector * 8, 8, g);
    }

    /// <summary>Long-mode machine with an IDT (all vectors absent), a 64-bit TSS and extra GDT entries (0x28 data, 0x30 user code64, 0x38 user data).</summary>
    public static TestMachine LongMode(RecordingObserver? obs = null)
    {
        var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(TestMachine.GdtBase + 0x28, 8, 0x00CF_9300_0000_FFFFUL);
        m.Memory.Write(TestMachine.GdtBase + 0x30, 8, 0x00AF_FB00_0000_FFFFUL);
        m.Memory.Write(TestMachine.GdtBase + 0x38, 8, 0x00CF_F300_0000_FFFFUL);
        c.Gdtr = new DescriptorTableRegister { Base = TestMachine.GdtBase, Limit = 0x3F };
        c.Idtr = new DescriptorTableRegister { Base = IdtBase, Limit = 0xFFF };
        c.Tr = new SegmentRegister { Selector = 0x40, Base = TssBase, Limit = 0x67, Attributes = 0x8B };
        c.Observer = obs;
        c.R[Reg.RDX] = 0;   // RESET leaves the processor signature in EDX
        return m;
    }

    public static void Ist(PhysicalMemory mem, int index, ulong top) => mem.Write(TssBase + 0x24 + (ulong)(index - 1) * 8, 8, top);

    /// <summary>Assembles at <paramref name="address"/> for <paramref name="bitness"/> and returns the label addresses in creation order.</summary>
    public static ulong[] Load(TestMachine m, ulong address, int bitness, Action<Assembler, Label[]> build, int labels = 0)
    {
        var a = new Assembler(bitness);
        var ls = new Label[labels];
        for (int i = 0; i < labels; i++) ls[i] = a.CreateLabel();
        build(a, ls);
        var stream = new MemoryStream();
        var result = a.Assemble(new StreamCodeWriter(stream), address, BlockEncoderOptions.ReturnNewInstructionOffsets);
        m.Memory.Load(address, stream.ToArray());
        var addrs = new ulong[labels];
        for (int i = 0; i < labels; i++) addrs[i] = result.GetLabelRIP(ls[i]);
        return addrs;
    }

    public static ulong[] Load64(TestMachine m, ulong address, Action<Assembler, Label[]> build, int labels = 0) => Load(m, address, 64, build, labels);
}
